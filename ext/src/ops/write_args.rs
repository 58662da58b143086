//! What Deno checks when a mutation or an enqueue is given, before any
//! commit: `atomic().mutate()` and `atomic().enqueue()` throw these at the
//! call, `kv.enqueue()` rejects with them. The shim reads the options (own
//! properties) and asks these ops; the commit trusts what passed.

use deno_core::{op2, v8};
use kv_engine::limits::{MAX_QUEUE_BACKOFF_INTERVALS, MAX_QUEUE_BACKOFF_MS, MAX_QUEUE_DELAY_MS};
use serde::Deserialize;

use crate::error::KvError;
use crate::shim::{self, settle, Fault};

/// The `type` of a mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MutationType {
    /// `set`.
    Set,
    /// `delete`.
    Delete,
    /// `sum` (of KvU64 values).
    Sum,
    /// `min`.
    Min,
    /// `max`.
    Max,
}

impl MutationType {
    const ALL: [MutationType; 5] = [
        MutationType::Set,
        MutationType::Delete,
        MutationType::Sum,
        MutationType::Min,
        MutationType::Max,
    ];

    /// The name JavaScript gives the type.
    pub fn name(self) -> &'static str {
        match self {
            MutationType::Set => "set",
            MutationType::Delete => "delete",
            MutationType::Sum => "sum",
            MutationType::Min => "min",
            MutationType::Max => "max",
        }
    }
}

/// Checks the `type` and `value` of a `mutate()` mutation (`has_value`: it
/// has an own `value` property), as Deno: a known type, a delete without a
/// truthy value, any other type with a value.
#[op2(fast)]
pub fn op_kv_check_mutation(
    scope: &mut v8::PinScope<'_, '_>,
    kind: v8::Local<v8::Value>,
    value: v8::Local<v8::Value>,
    has_value: bool,
) -> Result<(), KvError> {
    let name = kind.is_string().then(|| kind.to_rust_string_lossy(scope));
    let kind = MutationType::ALL
        .into_iter()
        .find(|kind| name.as_deref() == Some(kind.name()))
        .ok_or(KvError::InvalidMutationType)?;
    match kind {
        MutationType::Delete if value.boolean_value(scope) => Err(KvError::DeleteWithValue),
        MutationType::Delete => Ok(()),
        _ if !has_value => Err(KvError::MutationWithoutValue(kind.name())),
        _ => Ok(()),
    }
}

/// Checks an enqueue's `delay` (`undefined`: none): not `NaN`, at least 0,
/// at most 30 days. Other values than numbers compare as JavaScript's `<`
/// and `>` compare them; those that pass are left to the commit's argument
/// check.
#[op2(nofast, reentrant)]
pub fn op_kv_check_delay<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    delay: v8::Local<'s, v8::Value>,
) -> Result<(), KvError> {
    settle(check_delay(scope, delay), ())
}

fn check_delay<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    delay: v8::Local<'s, v8::Value>,
) -> Result<(), Fault> {
    if delay.is_undefined() {
        return Ok(());
    }
    let max = MAX_QUEUE_DELAY_MS as f64;
    let (negative, too_long) = match v8::Local::<v8::Number>::try_from(delay) {
        Ok(n) if n.value().is_nan() => return Err(KvError::DelayIsNaN.into()),
        Ok(n) => (n.value() < 0.0, n.value() > max),
        Err(_) => {
            let zero = v8::Number::new(scope, 0.0).into();
            if shim::less_than(scope, delay, zero)? {
                (true, false)
            } else {
                let max = v8::Number::new(scope, max).into();
                (false, shim::greater_than(scope, delay, max)?)
            }
        }
    };
    if negative {
        return Err(KvError::NegativeDelay(shim::to_text(scope, delay)?).into());
    }
    if too_long {
        return Err(KvError::DelayTooLong(shim::to_text(scope, delay)?).into());
    }
    Ok(())
}

/// Checks an enqueue's `backoffSchedule` (`undefined`: none): at most 5
/// intervals, each an integer from 0 to an hour in milliseconds. Returns
/// the intervals as a new array (what the commit takes), or `null` for none.
/// Reads `length` and the elements as JavaScript's `for` loop over them
/// would (an array-like object works; a getter that throws throws).
#[op2(reentrant)]
pub fn op_kv_backoff_schedule<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    schedule: v8::Local<'s, v8::Value>,
) -> Result<v8::Local<'s, v8::Value>, KvError> {
    let undefined = v8::undefined(scope).into();
    settle(backoff_schedule(scope, schedule), undefined)
}

fn backoff_schedule<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    schedule: v8::Local<'s, v8::Value>,
) -> Result<v8::Local<'s, v8::Value>, Fault> {
    if schedule.is_undefined() {
        return Ok(v8::null(scope).into());
    }
    if schedule.is_null() {
        return Err(KvError::NullishProperty("null", "length").into());
    }
    let Ok(object) = v8::Local::<v8::Object>::try_from(schedule) else {
        // A string's characters are not intervals; other primitives have
        // no length.
        let length = v8::Local::<v8::String>::try_from(schedule).map_or(0, |s| s.length());
        if length > MAX_QUEUE_BACKOFF_INTERVALS {
            return Err(KvError::TooManyBackoffIntervals(MAX_QUEUE_BACKOFF_INTERVALS).into());
        }
        if length > 0 {
            return Err(KvError::InvalidBackoffInterval(0).into());
        }
        return Ok(v8::Array::new(scope, 0).into());
    };
    let length = v8::String::new(scope, "length").ok_or(Fault::Thrown)?;
    let max = v8::Number::new(scope, MAX_QUEUE_BACKOFF_INTERVALS as f64).into();
    let first = object.get(scope, length.into()).ok_or(Fault::Thrown)?;
    if shim::greater_than(scope, first, max)? {
        return Err(KvError::TooManyBackoffIntervals(MAX_QUEUE_BACKOFF_INTERVALS).into());
    }
    let mut intervals = Vec::new();
    for i in 0u32.. {
        // (`length` is read again at every step, as a `for` loop does)
        let n = object.get(scope, length.into()).ok_or(Fault::Thrown)?;
        let index = v8::Number::new(scope, f64::from(i)).into();
        if !shim::less_than(scope, index, n)? {
            break;
        }
        let interval = object.get_index(scope, i).ok_or(Fault::Thrown)?;
        let valid = v8::Local::<v8::Number>::try_from(interval).is_ok_and(|n| {
            let n = n.value();
            n.fract() == 0.0 && (0.0..=f64::from(MAX_QUEUE_BACKOFF_MS)).contains(&n)
        });
        if !valid {
            return Err(KvError::InvalidBackoffInterval(i as usize).into());
        }
        intervals.push(interval);
    }
    Ok(v8::Array::new_with_elements(scope, &intervals).into())
}
