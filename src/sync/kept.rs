//! Keys of rows kept for a later step of the run (the deletes a table's
//! main pass leaves for the end, where they run children first): up to a
//! bound in memory, the rest in a temporary file, so what the run holds
//! does not grow with the number of changes.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Seek, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::data::encode::{read_row, write_row};
use crate::data::value::Row;
use crate::error::{Error, Result};

/// Keys held in memory before they go to the file: under 1 MB of integer
/// keys (a 10M-row dense re-sync of the bench defers 100,000 deletes).
const IN_MEMORY: usize = 10_000;

/// Keys in the order they were kept.
#[derive(Default)]
pub(crate) struct KeptKeys {
    /// The latest keys, after the file's.
    memory: Vec<Row>,
    file: Option<Spill>,
    len: u64,
}

/// A temporary file, removed with this value.
struct Spill {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn io_error(path: &std::path::Path, source: std::io::Error) -> Error {
    Error::Io {
        context: format!(
            "keeping the keys of rows to delete at the end in the temporary file {} (set TMPDIR to a directory with room)",
            path.display()
        ),
        source,
    }
}

impl Spill {
    fn create() -> Result<Spill> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "lockstep-kept-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        Ok(Spill {
            path,
            writer: BufWriter::new(file),
        })
    }
}

impl KeptKeys {
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, key: Row) -> Result<()> {
        self.memory.push(key);
        self.len += 1;
        if self.memory.len() >= IN_MEMORY {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the keys held in memory to the file.
    fn spill(&mut self) -> Result<()> {
        let spill = match &mut self.file {
            Some(spill) => spill,
            None => self.file.insert(Spill::create()?),
        };
        let mut bytes = Vec::new();
        for key in self.memory.drain(..) {
            write_row(&mut bytes, &key);
        }
        spill
            .writer
            .write_all(&bytes)
            .map_err(|e| io_error(&spill.path, e))
    }

    /// Keeps `other`'s keys after these.
    pub fn append(&mut self, other: KeptKeys) -> Result<()> {
        let mut keys = other.into_chunks()?;
        loop {
            let chunk = keys.next_chunk(IN_MEMORY)?;
            if chunk.is_empty() {
                return Ok(());
            }
            for key in chunk {
                self.push(key)?;
            }
        }
    }

    /// The keys in the order they were kept, a chunk at a time.
    pub fn into_chunks(mut self) -> Result<Chunks> {
        let file = match self.file.take() {
            Some(mut spill) => {
                let path = spill.path.clone();
                spill.writer.flush().map_err(|e| io_error(&path, e))?;
                let file = spill.writer.get_mut();
                file.rewind().map_err(|e| io_error(&path, e))?;
                let reader = BufReader::new(file.try_clone().map_err(|e| io_error(&path, e))?);
                Some((reader, spill))
            }
            None => None,
        };
        Ok(Chunks {
            file,
            memory: std::mem::take(&mut self.memory).into_iter(),
        })
    }
}

/// Kept keys read back in order (`KeptKeys::into_chunks`).
pub(crate) struct Chunks {
    /// The file, read first, and what removes it at the end.
    file: Option<(BufReader<File>, Spill)>,
    memory: std::vec::IntoIter<Row>,
}

impl Chunks {
    /// Up to `n` more keys; none at the end.
    pub fn next_chunk(&mut self, n: usize) -> Result<Vec<Row>> {
        let mut chunk = Vec::with_capacity(n.min(IN_MEMORY));
        if let Some((reader, spill)) = &mut self.file {
            while chunk.len() < n {
                match read_row(reader).map_err(|e| io_error(&spill.path, e))? {
                    Some(key) => chunk.push(key),
                    None => {
                        self.file = None;
                        break;
                    }
                }
            }
        }
        chunk.extend(self.memory.by_ref().take(n - chunk.len()));
        Ok(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::value::Value;

    fn key(i: usize) -> Row {
        vec![
            Value::Int(i as i64),
            Value::Text(format!("k{i}").into_bytes()),
        ]
    }

    fn read_all(kept: KeptKeys) -> Vec<Row> {
        let mut chunks = kept.into_chunks().unwrap();
        let mut all = Vec::new();
        loop {
            let chunk = chunks.next_chunk(777).unwrap();
            if chunk.is_empty() {
                return all;
            }
            all.extend(chunk);
        }
    }

    #[test]
    fn many_keys_go_to_a_file_and_come_back_in_order() {
        let n = IN_MEMORY * 2 + 123;
        let mut kept = KeptKeys::default();
        for i in 0..n {
            kept.push(key(i)).unwrap();
            assert!(
                kept.memory.len() < IN_MEMORY,
                "memory holds the bound at most"
            );
        }
        assert!(kept.file.is_some());
        assert_eq!(kept.len, n as u64);
        let path = kept.file.as_ref().unwrap().path.clone();
        assert!(path.exists());
        let all = read_all(kept);
        assert_eq!(all, (0..n).map(key).collect::<Vec<_>>());
        assert!(!path.exists(), "the file goes once read");
    }

    #[test]
    fn few_keys_stay_in_memory() {
        let mut kept = KeptKeys::default();
        for i in 0..10 {
            kept.push(key(i)).unwrap();
        }
        assert!(kept.file.is_none());
        assert_eq!(read_all(kept), (0..10).map(key).collect::<Vec<_>>());
    }

    #[test]
    fn appended_keys_follow_in_order_spilled_or_not() {
        let mut first = KeptKeys::default();
        for i in 0..IN_MEMORY + 5 {
            first.push(key(i)).unwrap();
        }
        let mut second = KeptKeys::default();
        for i in IN_MEMORY + 5..IN_MEMORY * 3 {
            second.push(key(i)).unwrap();
        }
        let mut third = KeptKeys::default();
        third.push(key(IN_MEMORY * 3)).unwrap();
        first.append(second).unwrap();
        first.append(third).unwrap();
        assert_eq!(first.len, IN_MEMORY as u64 * 3 + 1);
        assert_eq!(
            read_all(first),
            (0..=IN_MEMORY * 3).map(key).collect::<Vec<_>>()
        );
    }
}
