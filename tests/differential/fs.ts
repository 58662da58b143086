// Deno's fs API, printed for comparison with Deno (tests/platform.rs): every
// call kvrt takes from deno_fs/deno_io, their results and their errors, in
// the directory given as the argument (paths are printed relative to it).
const dir = Deno.args[0];
const rel = (s: string) => s.replaceAll(dir, "DIR");
const enc = new TextEncoder();
const dec = new TextDecoder();

async function show(label: string, fn: () => unknown) {
  try {
    const value = await fn();
    console.log(label, "->", typeof value === "string" ? rel(value) : Deno.inspect(value));
  } catch (err) {
    const e = err as Error;
    console.log(label, "!!", e.constructor.name, e.name, rel(e.message), e instanceof Error);
  }
}

// Whole files.
await show("writeTextFile", () => Deno.writeTextFile(`${dir}/a.txt`, "hello"));
await show("writeTextFile append", () => Deno.writeTextFile(`${dir}/a.txt`, " world", { append: true }));
await show("readTextFile", () => Deno.readTextFile(`${dir}/a.txt`));
await show("writeFileSync", () => Deno.writeFileSync(`${dir}/b.bin`, new Uint8Array([0, 1, 2, 255])));
await show("readFile", () => Deno.readFile(`${dir}/b.bin`));
await show("readFileSync", () => Deno.readFileSync(`${dir}/b.bin`));
await show("writeFile createNew exists", () => Deno.writeFile(`${dir}/b.bin`, new Uint8Array(1), { createNew: true }));
await show("writeFile create:false", () => Deno.writeFile(`${dir}/nope.bin`, new Uint8Array(1), { create: false }));
await show("writeTextFile stream", () =>
  Deno.writeTextFile(`${dir}/s.txt`, ReadableStream.from(["a", "b", "c"])));
await show("readTextFileSync stream", () => Deno.readTextFileSync(`${dir}/s.txt`));
await show("readTextFile URL", () => Deno.readTextFile(new URL(`file://${dir}/a.txt`)));

// Metadata.
const st = Deno.statSync(`${dir}/a.txt`);
console.log("stat", st.isFile, st.isDirectory, st.isSymlink, st.size, st.mtime instanceof Date, typeof st.mode, typeof st.ino);
await show("stat dir", async () => (await Deno.stat(dir)).isDirectory);
await show("stat missing", () => Deno.stat(`${dir}/missing`));
await show("lstatSync missing", () => Deno.lstatSync(`${dir}/missing`));
await show("symlink", () => Deno.symlink(`${dir}/a.txt`, `${dir}/link`));
await show("lstat link", async () => (await Deno.lstat(`${dir}/link`)).isSymlink);
await show("stat link", async () => (await Deno.stat(`${dir}/link`)).isFile);
await show("readLink", () => Deno.readLink(`${dir}/link`));
await show("realPathSync link", () => Deno.realPathSync(`${dir}/link`));
await show("realPath missing", () => Deno.realPath(`${dir}/missing`));

// Directories.
await show("mkdir", () => Deno.mkdir(`${dir}/d`));
await show("mkdir exists", () => Deno.mkdir(`${dir}/d`));
await show("mkdirSync recursive", () => Deno.mkdirSync(`${dir}/d/e/f`, { recursive: true }));
await show("mkdir missing parent", () => Deno.mkdir(`${dir}/x/y`));
await show("readDirSync", () =>
  Array.from(Deno.readDirSync(dir), (e) => `${e.name}:${e.isFile}:${e.isDirectory}:${e.isSymlink}`).sort());
await show("readDir", async () => (await Array.fromAsync(Deno.readDir(`${dir}/d`))).map((e) => e.name));
await show("readDir missing", async () => {
  for await (const _ of Deno.readDir(`${dir}/missing`)) { /* none */ }
});
await show("readDir file", () => Deno.readDirSync(`${dir}/a.txt`));
await show("remove non-empty", () => Deno.remove(`${dir}/d`));
await show("remove recursive", () => Deno.remove(`${dir}/d`, { recursive: true }));
await show("removeSync missing", () => Deno.removeSync(`${dir}/d`));

// Moving and copying.
await show("copyFile", () => Deno.copyFile(`${dir}/a.txt`, `${dir}/c.txt`));
await show("copyFileSync missing", () => Deno.copyFileSync(`${dir}/missing`, `${dir}/c2.txt`));
await show("rename", () => Deno.rename(`${dir}/c.txt`, `${dir}/r.txt`));
await show("renameSync missing", () => Deno.renameSync(`${dir}/c.txt`, `${dir}/r2.txt`));
await show("readTextFile renamed", () => Deno.readTextFile(`${dir}/r.txt`));
await show("truncate", () => Deno.truncate(`${dir}/r.txt`, 3));
await show("truncateSync to 0", () => Deno.truncateSync(`${dir}/a.txt`));
await show("after truncate", () => [Deno.readTextFileSync(`${dir}/r.txt`), Deno.readTextFileSync(`${dir}/a.txt`)]);

// Files.
await show("SeekMode", () => [Deno.SeekMode.Start, Deno.SeekMode.Current, Deno.SeekMode.End, Deno.SeekMode[2]]);
{
  const file = await Deno.open(`${dir}/f.txt`, { read: true, write: true, create: true });
  console.log("open", file instanceof Deno.FsFile, typeof file.rid);
  console.log("write", await file.write(enc.encode("0123456789")));
  console.log("seek start", await file.seek(2, Deno.SeekMode.Start));
  const buf = new Uint8Array(4);
  console.log("read", await file.read(buf), dec.decode(buf));
  console.log("seek current", await file.seek(-1, Deno.SeekMode.Current));
  console.log("seek end", file.seekSync(-2, Deno.SeekMode.End));
  console.log("readSync", file.readSync(buf), dec.decode(buf.subarray(0, 2)));
  console.log("read at end", await file.read(buf));
  console.log("stat", (await file.stat()).size, file.statSync().isFile);
  await file.truncate(5);
  console.log("truncated", (await file.stat()).size);
  file.close();
  await show("read after close", () => file.read(buf));
  await show("close twice", () => file.close());
}
{
  using file = Deno.openSync(`${dir}/f.txt`);
  console.log("openSync read", file.readSync(new Uint8Array(3)));
  await show("write read-only", () => file.write(enc.encode("x")));
}
{
  const file = await Deno.create(`${dir}/new.txt`);
  await file.write(enc.encode("created"));
  file.close();
  console.log("create", Deno.readTextFileSync(`${dir}/new.txt`));
  const appender = Deno.openSync(`${dir}/new.txt`, { append: true });
  appender.writeSync(enc.encode("+"));
  appender.close();
  console.log("append", Deno.readTextFileSync(`${dir}/new.txt`));
  const readable = (await Deno.open(`${dir}/new.txt`)).readable;
  console.log("readable", await new Response(readable).text());
  const writer = await Deno.open(`${dir}/w.txt`, { write: true, create: true });
  await ReadableStream.from([enc.encode("via "), enc.encode("stream")]).pipeTo(writer.writable);
  console.log("writable", Deno.readTextFileSync(`${dir}/w.txt`));
}
await show("open missing", () => Deno.open(`${dir}/missing`));
await show("openSync createNew exists", () => Deno.openSync(`${dir}/f.txt`, { write: true, createNew: true }));
await show("open bad options", () => Deno.open(`${dir}/f.txt`, { read: false, write: false }));
await show("FsFile constructor", () => new (Deno.FsFile as never as new (rid: number) => unknown)(1));

// Temporary files.
await show("makeTempDir", async () => {
  const t = await Deno.makeTempDir({ dir, prefix: "pre_", suffix: "_suf" });
  return [t.startsWith(`${dir}/pre_`), t.endsWith("_suf"), Deno.statSync(t).isDirectory];
});
await show("makeTempFileSync", () => {
  const t = Deno.makeTempFileSync({ dir, suffix: ".tmp" });
  return [t.endsWith(".tmp"), Deno.statSync(t).size];
});
await show("makeTempFile missing dir", () => Deno.makeTempFile({ dir: `${dir}/missing` }));

// The working directory and modes.
await show("cwd", () => typeof Deno.cwd());
await show("chmod", async () => {
  await Deno.chmod(`${dir}/f.txt`, 0o600);
  return (Deno.statSync(`${dir}/f.txt`).mode! & 0o777).toString(8);
});
await show("utime", async () => {
  await Deno.utime(`${dir}/f.txt`, 1000, new Date(2000000));
  return Deno.statSync(`${dir}/f.txt`).mtime?.getTime();
});
await show("bad path type", () => Deno.readTextFile(42 as never));
