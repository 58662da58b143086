//! The property keys the decoder reads, kept per realm in the engine's
//! internalized form: the values of a list are mostly objects with the same
//! few keys, and a property defined with an internalized name skips a
//! lookup in the engine's name table (QuickJS hashes any other string key
//! on each definition), besides the string's creation.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use deno_core::v8;

/// How many keys a realm keeps, and the longest kept: most objects have a
/// few short keys; others are read as any string.
const MAX_KEYS: usize = 1024;
const MAX_KEY_LENGTH: usize = 64;
/// How many kept keys a deserializer holds handles of (looked up in order).
const MAX_USED_KEYS: usize = 32;

/// A realm's kept keys, by their one-byte (Latin-1) bytes.
#[derive(Default)]
struct RealmKeys(RefCell<HashMap<Box<[u8]>, v8::Global<v8::Name>>>);

/// A deserializer's access to its realm's kept keys, with handles of the
/// keys it has used (a lookup in the realm's table and a handle per key
/// would cost about what keeping saves).
pub(super) struct PropertyKeys<'s> {
    realm: Rc<RealmKeys>,
    used: RefCell<Vec<UsedKey<'s>>>,
}

/// A kept key's bytes and handle.
type UsedKey<'s> = (Box<[u8]>, v8::Local<'s, v8::Name>);

impl<'s> PropertyKeys<'s> {
    /// The current realm's keys.
    pub(super) fn new(scope: &mut v8::PinScope<'_, '_>) -> PropertyKeys<'s> {
        let context = scope.get_current_context();
        let realm = context.get_slot::<RealmKeys>().unwrap_or_else(|| {
            let realm = Rc::new(RealmKeys::default());
            context.set_slot(realm.clone());
            realm
        });
        PropertyKeys {
            realm,
            used: RefCell::default(),
        }
    }

    /// The key whose one-byte string is `bytes`, if kept.
    pub(super) fn find(
        &self,
        scope: &v8::PinScope<'s, '_>,
        bytes: &[u8],
    ) -> Option<v8::Local<'s, v8::Name>> {
        let mut used = self.used.borrow_mut();
        if let Some((_, key)) = used.iter().find(|(seen, _)| **seen == *bytes) {
            return Some(*key);
        }
        let key = v8::Local::new(scope, self.realm.0.borrow().get(bytes)?);
        if used.len() < MAX_USED_KEYS {
            used.push((bytes.into(), key));
        }
        Some(key)
    }

    /// Keeps `key`, the string of the one-byte `bytes`, if there is room
    /// (and it cannot be an array index); returns it internalized, or
    /// `None` when not kept.
    pub(super) fn keep(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        bytes: &[u8],
        key: v8::Local<'s, v8::String>,
    ) -> Option<v8::Local<'s, v8::Name>> {
        if bytes.len() > MAX_KEY_LENGTH
            || bytes.first().is_none_or(u8::is_ascii_digit)
            || self.realm.0.borrow().len() >= MAX_KEYS
        {
            return None;
        }
        let key = internalize(scope, key)?;
        self.realm
            .0
            .borrow_mut()
            .insert(bytes.into(), v8::Global::new(scope, key));
        let mut used = self.used.borrow_mut();
        if used.len() < MAX_USED_KEYS {
            used.push((bytes.into(), key));
        }
        Some(key)
    }
}

/// `name` in the engine's internalized form: read back as an object's key.
pub(crate) fn internalize<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    name: v8::Local<'s, v8::String>,
) -> Option<v8::Local<'s, v8::Name>> {
    let object = v8::Object::new(scope);
    let undefined = v8::undefined(scope).into();
    object.create_data_property(scope, name.into(), undefined)?;
    let args = v8::GetPropertyNamesArgs {
        mode: v8::KeyCollectionMode::OwnOnly,
        property_filter: v8::PropertyFilter::SKIP_SYMBOLS,
        index_filter: v8::IndexFilter::SkipIndices,
        key_conversion: v8::KeyConversionMode::ConvertToString,
    };
    let keys = object.get_own_property_names(scope, args)?;
    let key = keys.get_index(scope, 0)?;
    v8::Local::<v8::Name>::try_from(key).ok()
}
