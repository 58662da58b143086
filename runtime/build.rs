//! Records the target triple for `Deno.build.target`.

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=KVRT_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
