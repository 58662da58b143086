//! node:zlib's one-shot codecs: deflate/inflate with zlib, gzip or raw
//! framing through zlib-ng 2.1.6 (libz-sys 1.1.20 built with zlib-ng, the
//! zlib Deno links, so the compressed bytes are Deno's), driven the way
//! Node's `zlibBufferSync` drives zlib; brotli through the `brotli` crate
//! called as Deno calls it; crc32. Options arrive validated by
//! node/zlib.js; failures carry Node's zlib `code` and `errno`.

use std::ffi::{c_int, c_uint, c_void, CStr};

use deno_core::op2;
use deno_error::JsErrorBox;
use libz_sys as z;

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

/// Node's code name of a zlib return code.
fn code_name(rc: c_int) -> &'static str {
    match rc {
        z::Z_NEED_DICT => "Z_NEED_DICT",
        z::Z_ERRNO => "Z_ERRNO",
        z::Z_STREAM_ERROR => "Z_STREAM_ERROR",
        z::Z_DATA_ERROR => "Z_DATA_ERROR",
        z::Z_MEM_ERROR => "Z_MEM_ERROR",
        z::Z_BUF_ERROR => "Z_BUF_ERROR",
        z::Z_VERSION_ERROR => "Z_VERSION_ERROR",
        _ => "Z_UNKNOWN_ERROR",
    }
}

extern "C" fn zalloc(_opaque: *mut c_void, items: c_uint, size: c_uint) -> *mut c_void {
    // SAFETY: calloc may be called with any sizes; zlib checks for null.
    unsafe { libc::calloc(items as usize, size as usize) }
}

extern "C" fn zfree(_opaque: *mut c_void, address: *mut c_void) {
    // SAFETY: `address` came from `zalloc` (calloc), and zlib frees it once.
    unsafe { libc::free(address) }
}

/// A zlib stream, ended when dropped.
struct Stream {
    raw: Box<z::z_stream>,
    deflating: bool,
}

impl Stream {
    fn blank() -> Box<z::z_stream> {
        Box::new(z::z_stream {
            next_in: std::ptr::null_mut(),
            avail_in: 0,
            total_in: 0,
            next_out: std::ptr::null_mut(),
            avail_out: 0,
            total_out: 0,
            msg: std::ptr::null_mut(),
            state: std::ptr::null_mut(),
            zalloc,
            zfree,
            opaque: std::ptr::null_mut(),
            data_type: 0,
            adler: 0,
            reserved: 0,
        })
    }

    fn deflate(
        level: i32,
        window_bits: i32,
        mem_level: i32,
        strategy: i32,
    ) -> Result<Stream, JsErrorBox> {
        let mut raw = Self::blank();
        // SAFETY: `raw` is a valid, boxed (so unmoving) z_stream with
        // allocators; the version and size are those of the linked zlib.
        let rc = unsafe {
            z::deflateInit2_(
                &mut *raw,
                level,
                z::Z_DEFLATED,
                window_bits,
                mem_level,
                strategy,
                z::zlibVersion(),
                std::mem::size_of::<z::z_stream>() as c_int,
            )
        };
        if rc != z::Z_OK {
            return Err(zlib_error(code_name(rc), rc, "Init error"));
        }
        Ok(Stream {
            raw,
            deflating: true,
        })
    }

    fn inflate(window_bits: i32) -> Result<Stream, JsErrorBox> {
        let mut raw = Self::blank();
        // SAFETY: as in `deflate`.
        let rc = unsafe {
            z::inflateInit2_(
                &mut *raw,
                window_bits,
                z::zlibVersion(),
                std::mem::size_of::<z::z_stream>() as c_int,
            )
        };
        if rc != z::Z_OK {
            return Err(zlib_error(code_name(rc), rc, "Init error"));
        }
        Ok(Stream {
            raw,
            deflating: false,
        })
    }

    /// One deflate/inflate call on `input` into `output`: the return code,
    /// the bytes taken and the bytes made.
    fn step(&mut self, input: &[u8], output: &mut [u8], flush: c_int) -> (c_int, usize, usize) {
        let avail_in = input.len().min(c_uint::MAX as usize) as c_uint;
        let avail_out = output.len().min(c_uint::MAX as usize) as c_uint;
        self.raw.next_in = input.as_ptr() as *mut u8;
        self.raw.avail_in = avail_in;
        self.raw.next_out = output.as_mut_ptr();
        self.raw.avail_out = avail_out;
        // SAFETY: the stream was initialised; next_in/next_out point at
        // `avail_in`/`avail_out` valid bytes (zlib never writes input).
        let rc = unsafe {
            if self.deflating {
                z::deflate(&mut *self.raw, flush)
            } else {
                z::inflate(&mut *self.raw, flush)
            }
        };
        let taken = (avail_in - self.raw.avail_in) as usize;
        let made = (avail_out - self.raw.avail_out) as usize;
        self.raw.next_in = std::ptr::null_mut();
        self.raw.next_out = std::ptr::null_mut();
        (rc, taken, made)
    }

    /// zlib's message for the last error, else Node's for the code.
    fn message(&self, rc: c_int) -> String {
        if !self.raw.msg.is_null() {
            // SAFETY: zlib's messages are static NUL-terminated strings.
            return unsafe { CStr::from_ptr(self.raw.msg) }
                .to_string_lossy()
                .into_owned();
        }
        match rc {
            z::Z_NEED_DICT => "Missing dictionary".into(),
            z::Z_BUF_ERROR => "unexpected end of file".into(),
            _ => "zlib error".into(),
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised and is ended once.
        unsafe {
            if self.deflating {
                z::deflateEnd(&mut *self.raw);
            } else {
                z::inflateEnd(&mut *self.raw);
            }
        }
    }
}

/// Deflates all of `input`, with zlib's parameters (level -1..=9,
/// windowBits 8..=15, memLevel 1..=9, strategy 0..=4), as Node's
/// `zlibBufferSync` does: all input at once with `Z_FINISH`, output
/// `chunk_size` bytes at a time (zlib-ng's fast levels end blocks where the
/// output fills, so this shapes the bytes).
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
    if !(-1..=9).contains(&level)
        || !(8..=15).contains(&window_bits)
        || !(1..=9).contains(&mem_level)
        || !(0..=4).contains(&strategy)
    {
        return Err(invalid(format!(
            "invalid zlib level {level}, windowBits {window_bits}, memLevel {mem_level} or strategy {strategy}"
        )));
    }
    // zlib (and zlib-ng) raise raw deflate's windowBits 8 to 9.
    let bits = framed_window_bits(
        mode,
        if mode == "raw" {
            window_bits.max(9)
        } else {
            window_bits
        },
    )?;
    let mut stream = Stream::deflate(level, bits, mem_level, strategy)?;
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    let mut chunk = vec![0u8; (chunk_size as usize).max(64)];
    let mut pos = 0;
    loop {
        let (rc, taken, made) = stream.step(&input[pos..], &mut chunk, z::Z_FINISH);
        pos += taken;
        out.extend_from_slice(&chunk[..made]);
        match rc {
            z::Z_STREAM_END => return Ok(out),
            z::Z_OK | z::Z_BUF_ERROR if made > 0 || taken > 0 => {}
            rc => return Err(zlib_error(code_name(rc), rc, &stream.message(rc))),
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
    let mut stream = Stream::inflate(window_bits)?;
    let mut pos = 0;
    loop {
        let (rc, taken, made) = stream.step(&input[pos..], chunk, z::Z_FINISH);
        pos += taken;
        out.extend_from_slice(&chunk[..made]);
        match rc {
            z::Z_STREAM_END => return Ok(pos),
            // (Z_BUF_ERROR: the output filled, or the input ran out)
            z::Z_OK | z::Z_BUF_ERROR if made > 0 => {}
            z::Z_OK | z::Z_BUF_ERROR => {
                return Err(zlib_error("Z_BUF_ERROR", -5, "unexpected end of file"));
            }
            z::Z_NEED_DICT => return Err(zlib_error("Z_NEED_DICT", 2, "Missing dictionary")),
            rc => return Err(zlib_error(code_name(rc), rc, &stream.message(rc))),
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
    let mut crc = z::uLong::from(value);
    for part in data.chunks(c_uint::MAX as usize) {
        // SAFETY: `part` is valid for `part.len()` bytes.
        crc = unsafe { z::crc32(crc, part.as_ptr(), part.len() as c_uint) };
    }
    crc as u32
}
