//! The resource and op sanitizers (`--sanitize-resources`, `--sanitize-ops`,
//! or a test's own `sanitizeResources` / `sanitizeOps`): what a test left
//! running, from deno_core's runtime activity, with Deno's messages.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::task::{Context, Poll};

use deno_core::error::CoreError;
use deno_core::stats::{
    RuntimeActivity, RuntimeActivityDiff, RuntimeActivityStats, RuntimeActivityStatsFactory,
    RuntimeActivityStatsFilter, RuntimeActivityType,
};
use deno_core::{JsRuntime, PollEventLoopOptions};

/// How often the event loop may turn for a test's activity to settle.
const SETTLE_TURNS: usize = 16;

/// An activity's kind and name (ops and resources are named).
type Kind = (RuntimeActivityType, String);

fn kind(activity: &RuntimeActivity) -> Kind {
    match activity {
        RuntimeActivity::AsyncOp(_, _, name) => (activity.activity(), name.to_string()),
        RuntimeActivity::Resource(_, _, name) => (activity.activity(), name.clone()),
        RuntimeActivity::Timer(..) | RuntimeActivity::Interval(..) => {
            (activity.activity(), String::new())
        }
    }
}

/// An activity's identity while the runtime lives.
fn identity(activity: &RuntimeActivity) -> (RuntimeActivityType, u64) {
    let id = match activity {
        RuntimeActivity::AsyncOp(id, ..) => *id as u64,
        RuntimeActivity::Resource(id, ..) => u64::from(*id),
        RuntimeActivity::Timer(id, ..) | RuntimeActivity::Interval(id, ..) => *id as u64,
    };
    (activity.activity(), id)
}

/// Tracks one test module's runtime activity across its tests.
pub struct Sanitizer {
    factory: RuntimeActivityStatsFactory,
    filter: RuntimeActivityStatsFilter,
    /// What the module's top-level code left running, by kind: a test may
    /// replace such an activity with one of the same kind.
    top_level: HashMap<Kind, usize>,
    /// Leaks of tests that turned the sanitizers off: not blamed on later tests.
    excused: HashSet<(RuntimeActivityType, u64)>,
}

impl Sanitizer {
    /// Starts tracking after the module has evaluated.
    pub fn new(runtime: &JsRuntime) -> Self {
        let factory = runtime.runtime_activity_stats_factory();
        let filter = RuntimeActivityStatsFilter::default()
            .with_ops()
            .with_resources()
            .with_timers();
        let mut top_level = HashMap::new();
        for activity in factory.clone().capture(&filter).dump().active {
            *top_level.entry(kind(&activity)).or_insert(0) += 1;
        }
        Sanitizer {
            factory,
            filter,
            top_level,
            excused: HashSet::new(),
        }
    }

    /// The activity now, to compare with after a test.
    pub fn capture(&self) -> RuntimeActivityStats {
        self.factory.clone().capture(&self.filter)
    }

    fn diff(&self, before: &RuntimeActivityStats) -> RuntimeActivityDiff {
        let mut diff = RuntimeActivityStats::diff(before, &self.capture());
        diff.appeared
            .retain(|a| !self.excused.contains(&identity(a)));
        diff.disappeared
            .retain(|a| !self.excused.contains(&identity(a)));
        diff
    }

    /// True when the only changes replace top-level activities in kind.
    fn settled(&self, diff: &RuntimeActivityDiff) -> bool {
        if diff.is_empty() {
            return true;
        }
        if diff.appeared.len() != diff.disappeared.len() || self.top_level.is_empty() {
            return false;
        }
        let mut balance: HashMap<Kind, isize> = HashMap::new();
        for activity in &diff.appeared {
            let kind = kind(activity);
            let seen = balance.entry(kind.clone()).or_insert(0);
            *seen += 1;
            if *seen as usize > self.top_level.get(&kind).copied().unwrap_or(0) {
                return false;
            }
        }
        for activity in &diff.disappeared {
            *balance.entry(kind(activity)).or_insert(0) -= 1;
        }
        balance.values().all(|n| *n == 0)
    }

    /// After a test: lets its activity settle, then returns Deno's leak
    /// messages for what it left running, if it is sanitized for that.
    pub async fn check(
        &mut self,
        runtime: &mut JsRuntime,
        before: &RuntimeActivityStats,
        ops: bool,
        resources: bool,
    ) -> Result<Option<Vec<String>>, CoreError> {
        let mut diff = self.diff(before);
        let mut turns = 0;
        while !self.settled(&diff) && turns < SETTLE_TURNS {
            turn_event_loop(runtime).await?;
            diff = self.diff(before);
            turns += 1;
        }
        if self.settled(&diff) {
            return Ok(None);
        }
        let unchecked = |a: &RuntimeActivity| match a {
            RuntimeActivity::AsyncOp(..) => !ops,
            RuntimeActivity::Resource(..) => !resources,
            RuntimeActivity::Timer(..) | RuntimeActivity::Interval(..) => !ops && !resources,
        };
        for activity in diff.appeared.iter().filter(|a| unchecked(a)) {
            self.excused.insert(identity(activity));
        }
        diff.appeared.retain(|a| !unchecked(a));
        diff.disappeared.retain(|a| !unchecked(a));
        if self.settled(&diff) {
            return Ok(None);
        }
        let mut messages = describe(&diff.appeared, true);
        messages.extend(describe(&diff.disappeared, false));
        messages.sort();
        Ok(Some(messages))
    }
}

/// Runs one turn of the event loop without waiting for anything.
async fn turn_event_loop(runtime: &mut JsRuntime) -> Result<(), CoreError> {
    let waker = deno_core::futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    if let Poll::Ready(Err(err)) = runtime.poll_event_loop(&mut cx, PollEventLoopOptions::default())
    {
        return Err(err);
    }
    tokio::task::yield_now().await;
    Ok(())
}

/// Deno's sentences for activities that appeared (`started`) or
/// disappeared during a test, one per kind with a count.
fn describe(activities: &[RuntimeActivity], started: bool) -> Vec<String> {
    let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
    for activity in activities {
        *counts.entry(kind(activity)).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|((kind, name), n)| sentence(kind, &name, n, started))
        .collect()
}

fn sentence(kind: RuntimeActivityType, name: &str, n: usize, started: bool) -> String {
    let article = match kind {
        RuntimeActivityType::AsyncOp | RuntimeActivityType::Interval => "An",
        _ => "A",
    };
    let (count, plural, was) = if n == 1 {
        (article.to_string(), "", "was")
    } else {
        (n.to_string(), "s", "were")
    };
    match kind {
        RuntimeActivityType::Resource if started => format!(
            "\"{name}\" was created during the test, but not cleaned up during the test. Close the resource before the end of the test."
        ),
        RuntimeActivityType::Resource => format!(
            "\"{name}\" was created before the test started, but was cleaned up during the test. Do not close resources in a test that were not created during that test."
        ),
        RuntimeActivityType::AsyncOp if started => format!(
            "{count} async call{plural} to {name} {was} started in this test, but never completed."
        ),
        RuntimeActivityType::AsyncOp => format!(
            "{count} async call{plural} to {name} {was} started before the test, but completed during the test. Async operations should not complete in a test if they were not started in that test."
        ),
        RuntimeActivityType::Timer if started => format!(
            "{count} timer{plural} {was} started in this test, but never completed. This is often caused by not calling `clearTimeout`."
        ),
        RuntimeActivityType::Interval if started => format!(
            "{count} interval{plural} {was} started in this test, but never completed. This is often caused by not calling `clearInterval`."
        ),
        RuntimeActivityType::Timer => format!(
            "{count} timer{plural} {was} started before the test, but completed during the test. Intervals and timers should not complete in a test if they were not started in that test. This is often caused by not calling `clearTimeout`."
        ),
        RuntimeActivityType::Interval => format!(
            "{count} interval{plural} {was} started before the test, but completed during the test. Intervals and timers should not complete in a test if they were not started in that test. This is often caused by not calling `clearInterval`."
        ),
    }
}
