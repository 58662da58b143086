//! node:zlib's one-shot codecs: deflate/inflate with zlib, gzip or raw
//! framing through zlib-rs (a port of zlib-ng, which Deno links, so the
//! compressed bytes are Deno's), brotli through the `brotli` crate called as
//! Deno calls it, and crc32. Options arrive validated by node/zlib.js;
//! failures carry Node's zlib `code` and `errno`.

use deno_core::op2;
use deno_error::JsErrorBox;
use zlib_rs::{
    Deflate, DeflateConfig, DeflateFlush, Inflate, InflateError, InflateFlush, Method, Status,
};

/// The failure Node reports, encoded as `code|errno|message` for
/// node/zlib.js, which makes it an `Error` with `code` and `errno`.
fn zlib_error(code: &str, errno: i32, message: &str) -> JsErrorBox {
    JsErrorBox::generic(format!("{code}|{errno}|{message}"))
}

fn invalid(message: String) -> JsErrorBox {
    JsErrorBox::type_error(message)
}

/// zlib's `windowBits` for a framing: negative for raw deflate, +16 for
/// gzip, +32 for "gzip or zlib" (inflate only).
fn framed_window_bits(mode: &str, window_bits: i32) -> Result<i32, JsErrorBox> {
    Ok(match mode {
        "zlib" => window_bits,
        "gzip" => window_bits + 16,
        "raw" => -window_bits,
        "auto" => window_bits + 32,
        _ => return Err(invalid(format!("unknown zlib mode \"{mode}\""))),
    })
}

/// Deflates all of `input`, with zlib's parameters (level -1..=9,
/// windowBits 8..=15, memLevel 1..=9, strategy 0..=4), the way Node's
/// `zlibBufferSync` drives zlib: all input at once with `Z_FINISH`, output
/// `chunk_size` bytes at a time (zlib-ng's fast levels end blocks where the
/// output fills, so this is part of the format Deno writes).
#[op2]
#[buffer]
pub fn op_node_zlib_deflate(
    #[buffer] input: &[u8],
    #[string] mode: &str,
    #[smi] level: i32,
    #[smi] window_bits: i32,
    #[smi] mem_level: i32,
    #[smi] strategy: i32,
    #[smi] chunk_size: u32,
) -> Result<Vec<u8>, JsErrorBox> {
    let strategy = match strategy {
        0 => zlib_rs::Strategy::Default,
        1 => zlib_rs::Strategy::Filtered,
        2 => zlib_rs::Strategy::HuffmanOnly,
        3 => zlib_rs::Strategy::Rle,
        4 => zlib_rs::Strategy::Fixed,
        _ => return Err(invalid(format!("invalid zlib strategy {strategy}"))),
    };
    if !(-1..=9).contains(&level)
        || !(8..=15).contains(&window_bits)
        || !(1..=9).contains(&mem_level)
    {
        return Err(invalid(format!(
            "invalid zlib level {level}, windowBits {window_bits} or memLevel {mem_level}"
        )));
    }
    // zlib (and zlib-ng) raise windowBits 8 to 9.
    let window_bits = framed_window_bits(mode, window_bits.max(9))?;
    let config = DeflateConfig {
        level,
        method: Method::Deflated,
        window_bits,
        mem_level,
        strategy,
    };
    let mut deflate = Deflate::new_with_config(config);
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let mut chunk = vec![0u8; (chunk_size as usize).max(64)];
    loop {
        let (taken, made) = (deflate.total_in() as usize, deflate.total_out());
        let status = deflate
            .compress(
                &input[taken.min(input.len())..],
                &mut chunk,
                DeflateFlush::Finish,
            )
            .map_err(|err| {
                let message = deflate.error_message().unwrap_or_else(|| err.as_str());
                zlib_error("Z_STREAM_ERROR", -2, message)
            })?;
        out.extend_from_slice(&chunk[..(deflate.total_out() - made) as usize]);
        if status == Status::StreamEnd {
            return Ok(out);
        }
    }
}

/// Inflates all of `input` at once. A gzip stream may hold several members
/// (their contents are concatenated, as in Node); bytes after a zlib or raw
/// stream are ignored. Truncated input is Node's "unexpected end of file".
#[op2]
#[buffer]
pub fn op_node_zlib_inflate(
    #[buffer] input: &[u8],
    #[string] mode: &str,
) -> Result<Vec<u8>, JsErrorBox> {
    let window_bits = framed_window_bits(mode, 15)?;
    let gzip = mode == "gzip" || (mode == "auto" && input.starts_with(&[0x1f, 0x8b]));
    let mut out = Vec::with_capacity(input.len().saturating_mul(2).min(1 << 26) + 64);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut pos = 0;
    loop {
        pos += inflate_member(&input[pos..], window_bits, &mut chunk, &mut out)?;
        if !gzip || pos >= input.len() {
            return Ok(out);
        }
    }
}

/// Inflates one stream from the start of `input` into `out`; returns the
/// bytes it took.
fn inflate_member(
    input: &[u8],
    window_bits: i32,
    chunk: &mut [u8],
    out: &mut Vec<u8>,
) -> Result<usize, JsErrorBox> {
    let (expect_header, bits) = if window_bits < 0 {
        (false, -window_bits)
    } else {
        (true, window_bits)
    };
    let mut inflate = Inflate::new(expect_header, bits as u8);
    loop {
        let (taken, made) = (inflate.total_in() as usize, inflate.total_out());
        let rest = &input[taken.min(input.len())..];
        let status = inflate
            .decompress(rest, chunk, InflateFlush::NoFlush)
            .map_err(|err| {
                let message = inflate.error_message().unwrap_or_else(|| err.as_str());
                match err {
                    InflateError::NeedDict { .. } => {
                        zlib_error("Z_NEED_DICT", 2, "Missing dictionary")
                    }
                    InflateError::MemError => zlib_error("Z_MEM_ERROR", -4, message),
                    InflateError::StreamError => zlib_error("Z_STREAM_ERROR", -2, message),
                    InflateError::DataError => zlib_error("Z_DATA_ERROR", -3, message),
                }
            })?;
        let produced = (inflate.total_out() - made) as usize;
        out.extend_from_slice(&chunk[..produced]);
        match status {
            Status::StreamEnd => return Ok(inflate.total_in() as usize),
            _ if produced == 0 && inflate.total_in() as usize == taken => {
                return Err(zlib_error("Z_BUF_ERROR", -5, "unexpected end of file"));
            }
            _ => {}
        }
    }
}

/// `brotliCompressSync` as Deno computes it: quality 0..=11, lgwin
/// 10..=24, mode 0..=2 (generic, text, font), all input in one `FINISH`
/// call of the streaming encoder, sized by a size hint (the one-shot
/// encoder call gives the same bytes, but writes a different empty stream
/// and panics at quality 10).
#[op2]
#[buffer]
pub fn op_node_brotli_compress(
    #[buffer] input: &[u8],
    #[smi] quality: i32,
    #[smi] lgwin: i32,
    #[smi] mode: i32,
) -> Result<Vec<u8>, JsErrorBox> {
    use brotli::enc::encode::{
        BrotliEncoderOperation, BrotliEncoderParameter, BrotliEncoderStateStruct,
    };
    use brotli::enc::StandardAlloc;

    if !(0..=11).contains(&quality) || !(10..=24).contains(&lgwin) || !(0..=2).contains(&mode) {
        return Err(invalid(format!(
            "invalid brotli quality {quality}, lgwin {lgwin} or mode {mode}"
        )));
    }
    let mut encoder = BrotliEncoderStateStruct::new(StandardAlloc::default());
    encoder.set_parameter(BrotliEncoderParameter::BROTLI_PARAM_QUALITY, quality as u32);
    encoder.set_parameter(BrotliEncoderParameter::BROTLI_PARAM_LGWIN, lgwin as u32);
    encoder.set_parameter(BrotliEncoderParameter::BROTLI_PARAM_MODE, mode as u32);
    encoder.set_parameter(
        BrotliEncoderParameter::BROTLI_PARAM_SIZE_HINT,
        u32::try_from(input.len()).unwrap_or(u32::MAX),
    );
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut available_in, mut input_offset) = (input.len(), 0);
    let mut total_out = Some(0);
    loop {
        let (mut available_out, mut output_offset) = (chunk.len(), 0);
        let ok = encoder.compress_stream(
            BrotliEncoderOperation::BROTLI_OPERATION_FINISH,
            &mut available_in,
            input,
            &mut input_offset,
            &mut available_out,
            &mut chunk,
            &mut output_offset,
            &mut total_out,
            &mut |_, _, _, _| (),
        );
        out.extend_from_slice(&chunk[..output_offset]);
        if !ok {
            return Err(zlib_error(
                "ERR_BROTLI_COMPRESSION_FAILED",
                -1,
                "Compression failed",
            ));
        }
        if encoder.is_finished() {
            return Ok(out);
        }
    }
}

/// `brotliDecompressSync`. Like Deno, input that ends early gives what was
/// decoded so far; invalid input is an error.
#[op2]
#[buffer]
pub fn op_node_brotli_decompress(#[buffer] input: &[u8]) -> Result<Vec<u8>, JsErrorBox> {
    use brotli::{BrotliDecompressStream, BrotliResult, BrotliState, HeapAlloc};

    let mut state = BrotliState::new(
        HeapAlloc::<u8>::new(0),
        HeapAlloc::<u32>::new(0),
        HeapAlloc::<brotli::HuffmanCode>::new(Default::default()),
    );
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut available_in, mut input_offset, mut total_out) = (input.len(), 0, 0);
    loop {
        let (mut available_out, mut output_offset) = (chunk.len(), 0);
        let result = BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            input,
            &mut available_out,
            &mut output_offset,
            &mut chunk,
            &mut total_out,
            &mut state,
        );
        out.extend_from_slice(&chunk[..output_offset]);
        match result {
            BrotliResult::NeedsMoreOutput => continue,
            BrotliResult::ResultSuccess | BrotliResult::NeedsMoreInput => return Ok(out),
            BrotliResult::ResultFailure => {
                return Err(zlib_error(
                    "ERR__ERROR_FORMAT_PADDING_1",
                    -1,
                    "Decompression failed",
                ))
            }
        }
    }
}

/// `zlib.crc32(data, value)`.
#[op2(fast)]
pub fn op_node_zlib_crc32(#[buffer] data: &[u8], value: u32) -> u32 {
    zlib_rs::crc32::crc32(value, data)
}
