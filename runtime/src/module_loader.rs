//! Loads ES modules: local files and remote ones (JavaScript, TypeScript,
//! JSON), with TypeScript type-stripped by `deno_ast`, plus the embedded
//! `@std/assert`;
//! resolution is the [`Resolver`]'s.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use deno_ast::{MediaType, ParseParams, SourceMapOption};
use deno_core::error::ModuleLoaderError;
use deno_core::{
    ModuleLoadOptions, ModuleLoadReferrer, ModuleLoadResponse, ModuleLoader, ModuleSource,
    ModuleSourceCode, ModuleSpecifier, ModuleType, ResolutionKind,
};
use deno_error::JsErrorBox;

use crate::emit_cache;
use crate::remote::{self, Freshness};
use crate::resolver::{Resolver, STD_ASSERT_URL};

/// Source of the built-in `@std/assert` module.
const STD_ASSERT_SOURCE: &str = include_str!("../js/assert.js");

/// Loads local modules, transpiling TypeScript, and keeps the source maps so
/// that stack traces point at the original TypeScript lines.
pub struct TsModuleLoader {
    resolver: Resolver,
    source_maps: RefCell<HashMap<String, Vec<u8>>>,
}

impl TsModuleLoader {
    /// A loader whose graph resolves specifiers with `resolver`.
    pub fn new(resolver: Resolver) -> Self {
        TsModuleLoader {
            resolver,
            source_maps: RefCell::default(),
        }
    }
}

impl ModuleLoader for TsModuleLoader {
    fn resolve(
        &self,
        specifier: &str,
        referrer: &str,
        _kind: ResolutionKind,
    ) -> Result<ModuleSpecifier, ModuleLoaderError> {
        self.resolver.resolve(specifier, referrer)
    }

    fn load(
        &self,
        specifier: &ModuleSpecifier,
        _referrer: Option<&ModuleLoadReferrer>,
        _options: ModuleLoadOptions,
    ) -> ModuleLoadResponse {
        ModuleLoadResponse::Sync(self.load_sync(specifier))
    }

    fn get_source_map(&self, specifier: &str) -> Option<Cow<'_, [u8]>> {
        self.source_maps
            .borrow()
            .get(specifier)
            .map(|map| Cow::Owned(map.clone()))
    }
}

impl TsModuleLoader {
    fn load_sync(&self, specifier: &ModuleSpecifier) -> Result<ModuleSource, ModuleLoaderError> {
        if specifier.as_str() == STD_ASSERT_URL {
            return Ok(ModuleSource::new(
                ModuleType::JavaScript,
                ModuleSourceCode::String(STD_ASSERT_SOURCE.to_string().into()),
                specifier,
                None,
            ));
        }
        let (code, media_type) = match specifier.scheme() {
            "file" => {
                let path = specifier.to_file_path().map_err(|_| {
                    JsErrorBox::type_error(format!("Invalid file URL \"{specifier}\""))
                })?;
                let code = std::fs::read_to_string(&path).map_err(|err| {
                    JsErrorBox::new(
                        "NotFound",
                        format!("Module not found \"{specifier}\": {err}"),
                    )
                })?;
                (code, MediaType::from_path(&path))
            }
            "http" | "https" => {
                let file = remote::fetch(specifier, Freshness::PreferCache)
                    .map_err(|e| JsErrorBox::new("NotFound", e))?;
                let code = String::from_utf8(file.body).map_err(|_| {
                    JsErrorBox::type_error(format!("Module \"{specifier}\" is not UTF-8 text"))
                })?;
                // The extension decides, as for JSR files; the content type
                // only when the URL has none.
                let media_type = match MediaType::from_specifier(specifier) {
                    MediaType::Unknown => MediaType::from_specifier_and_content_type(
                        specifier,
                        file.content_type.as_deref(),
                    ),
                    known => known,
                };
                (code, media_type)
            }
            scheme => {
                return Err(JsErrorBox::type_error(format!(
                    "Unsupported scheme \"{scheme}\" for module \"{specifier}\". Supported schemes: file, http, https, jsr, npm (from node_modules)"
                )))
            }
        };
        let (module_type, code) = match media_type {
            MediaType::JavaScript | MediaType::Mjs | MediaType::Cjs | MediaType::Unknown => {
                (ModuleType::JavaScript, code)
            }
            MediaType::Json => (ModuleType::Json, code),
            MediaType::Jsx
            | MediaType::TypeScript
            | MediaType::Mts
            | MediaType::Cts
            | MediaType::Dts
            | MediaType::Dmts
            | MediaType::Dcts
            | MediaType::Tsx => (
                ModuleType::JavaScript,
                self.transpile(specifier, media_type, code)?,
            ),
            _ => {
                return Err(JsErrorBox::type_error(format!(
                    "Unsupported module type of \"{specifier}\""
                )))
            }
        };
        Ok(ModuleSource::new(
            module_type,
            ModuleSourceCode::String(code.into()),
            specifier,
            None,
        ))
    }

    /// Strips TypeScript syntax (or takes the result from the emit cache)
    /// and records the source map.
    fn transpile(
        &self,
        specifier: &ModuleSpecifier,
        media_type: MediaType,
        code: String,
    ) -> Result<String, ModuleLoaderError> {
        let options = deno_ast::TranspileOptions {
            imports_not_used_as_values: deno_ast::ImportsNotUsedAsValues::Remove,
            decorators: deno_ast::DecoratorsTranspileOption::Ecma,
            ..Default::default()
        };
        let module_options = deno_ast::TranspileModuleOptions { module_kind: None };
        let emit_options = deno_ast::EmitOptions {
            source_map: SourceMapOption::Separate,
            inline_sources: true,
            ..Default::default()
        };
        let key = emit_cache::Key::new(
            specifier.as_str(),
            media_type.as_ts_extension(),
            &format!("{options:?} {module_options:?} {emit_options:?}"),
            &code,
        );
        let emit = match emit_cache::get(&key) {
            Some(emit) => emit,
            None => {
                let parsed = deno_ast::parse_module(ParseParams {
                    specifier: specifier.clone(),
                    text: code.into(),
                    media_type,
                    capture_tokens: false,
                    scope_analysis: false,
                    maybe_syntax: None,
                })
                .map_err(|err| JsErrorBox::new("SyntaxError", err.to_string()))?;
                let emitted = parsed
                    .transpile(&options, &module_options, &emit_options)
                    .map_err(|err| JsErrorBox::new("SyntaxError", err.to_string()))?
                    .into_source();
                let emit = emit_cache::Emit {
                    code: emitted.text,
                    source_map: emitted
                        .source_map
                        .map(String::into_bytes)
                        .unwrap_or_default(),
                };
                emit_cache::put(&key, &emit);
                emit
            }
        };
        if !emit.source_map.is_empty() {
            self.source_maps
                .borrow_mut()
                .insert(specifier.to_string(), emit.source_map);
        }
        Ok(emit.code)
    }
}
