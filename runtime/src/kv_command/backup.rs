//! `kvrt kv backup`, `restore` and `stats`: file-level work done by the
//! engine (`kv_engine`), with progress and a summary.

use std::path::Path;

use kv_engine::BackupProgress;

use super::progress::Progress;

/// `kvrt kv backup <db> <dest>`.
pub fn backup(db: &Path, dest: &Path, force: bool, quiet: bool) -> Result<(), String> {
    let mut progress = Progress::new("backup", "pages", None, quiet);
    let mut report = |p: BackupProgress| {
        progress.set_total(Some(p.total_pages));
        progress.update(p.done_pages);
    };
    let size = kv_engine::backup(db, dest, force, &mut report).map_err(|e| e.to_string())?;
    progress.finish();
    if !quiet {
        eprintln!(
            "backed up {} to {} ({} bytes) in {:.2}s",
            db.display(),
            dest.display(),
            size,
            progress.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// `kvrt kv restore <backup> <db>`.
pub fn restore(backup: &Path, db: &Path, quiet: bool) -> Result<(), String> {
    let mut progress = Progress::new("restore", "pages", None, quiet);
    let mut report = |p: BackupProgress| {
        progress.set_total(Some(p.total_pages));
        progress.update(p.done_pages);
    };
    kv_engine::restore(backup, db, &mut report).map_err(|e| e.to_string())?;
    progress.finish();
    if !quiet {
        eprintln!(
            "restored {} from {} in {:.2}s",
            db.display(),
            backup.display(),
            progress.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// `kvrt kv stats <db>`.
pub fn stats(db: &Path, json: bool) -> Result<(), String> {
    let s = kv_engine::stats(db, kv_engine::now_ms()).map_err(|e| e.to_string())?;
    if json {
        let value = serde_json::json!({
            "path": db.display().to_string(),
            "entries": s.entries,
            "keyBytes": s.key_bytes,
            "valueBytes": s.value_bytes,
            "bytes": s.key_bytes + s.value_bytes,
            "expiredNotCollected": s.expired_not_collected,
            "nextExpiration": s.next_expiration_ms,
            "queueDepth": s.queue_depth(),
            "queueReady": s.queue_ready,
            "queueDelayed": s.queue_delayed,
            "queueRunning": s.queue_running,
            "version": s.version,
            "fileBytes": s.file_bytes,
            "walBytes": s.wal_bytes,
            "pageSize": s.page_size,
            "pageCount": s.page_count,
            "freePages": s.free_pages,
        });
        println!("{value}");
        return Ok(());
    }
    println!("database:               {}", db.display());
    println!("entries:                {}", s.entries);
    println!(
        "bytes (keys + values):  {} ({} + {})",
        s.key_bytes + s.value_bytes,
        s.key_bytes,
        s.value_bytes
    );
    println!("expired, not collected: {}", s.expired_not_collected);
    if let Some(at) = s.next_expiration_ms {
        println!(
            "next expiry in:         {} ms",
            at.saturating_sub(kv_engine::now_ms())
        );
    }
    println!(
        "queue depth:            {} ({} ready, {} delayed, {} being handled)",
        s.queue_depth(),
        s.queue_ready,
        s.queue_delayed,
        s.queue_running
    );
    println!("last commit version:    {}", s.version);
    println!(
        "file:                   {} bytes ({} pages of {}, {} free), WAL {} bytes",
        s.file_bytes, s.page_count, s.page_size, s.free_pages, s.wal_bytes
    );
    Ok(())
}
