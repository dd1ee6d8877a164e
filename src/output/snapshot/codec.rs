//! The snapshot container: a fixed prefix, a JSON header that lists the binary
//! sections, the sections, and CRC-32 checks (docs/snapshot-format.md).
//!
//! ```text
//! offset   size  content
//! 0        8     magic "OLATSNAP"
//! 8        4     format version, u32 little-endian
//! 12       4     header length H, u32 little-endian
//! 16       H     header: UTF-8 JSON object; its "sections" key lists the sections
//! 16+H     4     CRC-32 (IEEE) of bytes 0 .. 16+H (the header check)
//! 20+H     ...   the sections, in the order listed, little-endian, no padding
//! end-4    4     CRC-32 (IEEE) of every byte before it (the file check)
//! ```
//!
//! The container knows nothing of the simulation: it stores a JSON object and named,
//! typed arrays. Files are streamed in both directions, so a snapshot never needs a
//! second copy of the state in memory.

use super::SnapshotError;
use serde::{Deserialize, Serialize};
use std::io::{BufReader, Read, Write};
use std::path::Path;

pub const MAGIC: [u8; 8] = *b"OLATSNAP";
/// The version this build writes and the newest it reads. Version 1 (the site records
/// and the census as raw words) is still read; see `super::v1`.
pub const FORMAT_VERSION: u32 = 2;
const PREFIX_LEN: u64 = 16;
/// Largest header accepted (a corrupted length field must not allocate gigabytes).
const MAX_HEADER_LEN: u64 = 256 << 20;
/// Bytes converted per chunk when streaming a section.
const CHUNK: usize = 1 << 16;

/// Element type of a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    U8,
    U16,
    U32,
    F32,
}

impl Dtype {
    pub fn size(self) -> u64 {
        match self {
            Dtype::U8 => 1,
            Dtype::U16 => 2,
            Dtype::U32 | Dtype::F32 => 4,
        }
    }
}

/// One entry of the header's "sections" table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionInfo {
    pub name: String,
    pub dtype: Dtype,
    /// Dimensions; the section holds their product elements, last index fastest.
    pub shape: Vec<u64>,
    /// A reader that does not know this section must refuse the file when set, and may
    /// skip it otherwise.
    pub required: bool,
}

impl SectionInfo {
    fn elements(&self) -> Option<u64> {
        self.shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d))
    }

    fn bytes(&self) -> Option<u64> {
        self.elements()?.checked_mul(self.dtype.size())
    }
}

/// A section's values.
#[derive(Debug, Clone, PartialEq)]
pub enum SectionData {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    F32(Vec<f32>),
}

/// Appends the little-endian bytes of elements `range` of a computed section.
pub type Fill<'a> = &'a dyn Fn(std::ops::Range<usize>, &mut Vec<u8>);

/// A section's values, borrowed for writing.
#[derive(Clone, Copy)]
pub enum SectionSlice<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    F32(&'a [f32]),
    /// `len` values of `dtype` produced chunk by chunk while they are written, so that
    /// an array derived from the state (one member of every site) needs no copy of
    /// the whole array in memory.
    Computed {
        dtype: Dtype,
        len: usize,
        fill: Fill<'a>,
    },
}

impl std::fmt::Debug for SectionSlice<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} × {}", self.dtype(), self.len())
    }
}

impl SectionSlice<'_> {
    fn dtype(&self) -> Dtype {
        match self {
            SectionSlice::U8(_) => Dtype::U8,
            SectionSlice::U16(_) => Dtype::U16,
            SectionSlice::U32(_) => Dtype::U32,
            SectionSlice::F32(_) => Dtype::F32,
            SectionSlice::Computed { dtype, .. } => *dtype,
        }
    }

    fn len(&self) -> usize {
        match self {
            SectionSlice::U8(v) => v.len(),
            SectionSlice::U16(v) => v.len(),
            SectionSlice::U32(v) => v.len(),
            SectionSlice::F32(v) => v.len(),
            SectionSlice::Computed { len, .. } => *len,
        }
    }
}

/// A section to write.
#[derive(Debug, Clone, Copy)]
pub struct SectionOut<'a> {
    pub name: &'a str,
    pub shape: &'a [u64],
    pub required: bool,
    pub data: SectionSlice<'a>,
}

/// A file read back and checked: its header (with "sections" removed), its sections in
/// file order, and the file check (the trailer CRC), which names this exact file.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    pub version: u32,
    pub header: serde_json::Map<String, serde_json::Value>,
    pub sections: Vec<(SectionInfo, SectionData)>,
    pub file_crc: u32,
}

/// A writer that keeps a running CRC and byte count.
struct Hashing<W: Write> {
    inner: W,
    crc: crc32fast::Hasher,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.crc.update(bytes);
        self.inner.write_all(bytes)
    }
}

fn put_values<W: Write, T: Copy, const N: usize>(
    w: &mut Hashing<W>,
    values: &[T],
    to_le: impl Fn(T) -> [u8; N],
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(CHUNK);
    for chunk in values.chunks(CHUNK / N) {
        buf.clear();
        for &v in chunk {
            buf.extend_from_slice(&to_le(v));
        }
        w.put(&buf)?;
    }
    Ok(())
}

/// Writes `header` and `sections` to `path` atomically (`output::atomic`: `path`
/// holds either its old content or the whole new file). Returns the file check
/// (trailer CRC).
pub fn write(
    path: &Path,
    header: &serde_json::Map<String, serde_json::Value>,
    sections: &[SectionOut],
) -> std::io::Result<u32> {
    let mut table = Vec::with_capacity(sections.len());
    for s in sections {
        let info = SectionInfo {
            name: s.name.to_string(),
            dtype: s.data.dtype(),
            shape: s.shape.to_vec(),
            required: s.required,
        };
        if info.elements() != Some(s.data.len() as u64) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "section {} has {} values but shape {:?}",
                    s.name,
                    s.data.len(),
                    s.shape
                ),
            ));
        }
        table.push(info);
    }
    let mut header = header.clone();
    header.insert(
        "sections".into(),
        serde_json::to_value(&table).expect("the table serialises"),
    );
    let header_bytes = serde_json::to_vec(&header).expect("a JSON map serialises");

    crate::output::atomic::write_with(path, |file| {
        let mut w = Hashing {
            inner: file,
            crc: crc32fast::Hasher::new(),
        };
        w.put(&MAGIC)?;
        w.put(&FORMAT_VERSION.to_le_bytes())?;
        w.put(&(header_bytes.len() as u32).to_le_bytes())?;
        w.put(&header_bytes)?;
        let header_crc = w.crc.clone().finalize();
        w.put(&header_crc.to_le_bytes())?;
        for s in sections {
            match s.data {
                SectionSlice::U8(v) => w.put(v)?,
                SectionSlice::U16(v) => put_values(&mut w, v, u16::to_le_bytes)?,
                SectionSlice::U32(v) => put_values(&mut w, v, u32::to_le_bytes)?,
                SectionSlice::F32(v) => put_values(&mut w, v, f32::to_le_bytes)?,
                SectionSlice::Computed { dtype, len, fill } => {
                    let per_chunk = CHUNK / dtype.size() as usize;
                    let mut buf = Vec::with_capacity(CHUNK);
                    for start in (0..len).step_by(per_chunk) {
                        buf.clear();
                        let range = start..len.min(start + per_chunk);
                        let want = range.len() * dtype.size() as usize;
                        fill(range, &mut buf);
                        if buf.len() != want {
                            return Err(std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                format!(
                                    "section {} produced {} bytes for {want}",
                                    s.name,
                                    buf.len()
                                ),
                            ));
                        }
                        w.put(&buf)?;
                    }
                }
            }
        }
        let file_crc = w.crc.clone().finalize();
        w.inner.write_all(&file_crc.to_le_bytes())?;
        Ok(file_crc)
    })
    .map_err(|e| e.source)
}

/// The trailer CRC of a file (its last four bytes), without reading the rest: a cheap
/// check that a file is the one a header recorded.
pub fn trailer_crc(path: &Path) -> std::io::Result<u32> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    if f.metadata()?.len() < 4 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    f.seek(SeekFrom::End(-4))?;
    let mut b = [0u8; 4];
    f.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// A reader that keeps a running CRC.
struct Checked<R: Read> {
    inner: R,
    crc: crc32fast::Hasher,
}

impl<R: Read> Checked<R> {
    fn take(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact(buf)?;
        self.crc.update(buf);
        Ok(())
    }
}

fn take_values<R: Read, T, const N: usize>(
    r: &mut Checked<R>,
    count: usize,
    from_le: impl Fn([u8; N]) -> T,
) -> std::io::Result<Vec<T>> {
    let mut out = Vec::with_capacity(count);
    let mut buf = vec![0u8; CHUNK / N * N];
    let mut left = count;
    while left > 0 {
        let n = left.min(CHUNK / N);
        let bytes = &mut buf[..n * N];
        r.take(bytes)?;
        out.extend(
            bytes
                .chunks_exact(N)
                .map(|c| from_le(c.try_into().expect("N bytes"))),
        );
        left -= n;
    }
    Ok(out)
}

/// Reads and checks a container. Sections that `known(version, name)` accepts are
/// decoded; unknown optional sections are skipped; an unknown required one refuses the
/// file.
/// Each kind of damage has its own error, decided in this order: not a snapshot
/// (magic), future version, truncated, corrupted (a checksum), bad header.
pub fn read(path: &Path, known: &dyn Fn(u32, &str) -> bool) -> Result<Container, SnapshotError> {
    let p = path.to_path_buf();
    let io = |source: std::io::Error| SnapshotError::Io {
        path: p.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut r = Checked {
        inner: BufReader::with_capacity(1 << 20, file),
        crc: crc32fast::Hasher::new(),
    };
    let truncated = |expected: u64| SnapshotError::Truncated {
        path: p.clone(),
        expected,
        found: len,
    };
    let corrupted = |what: String| SnapshotError::Corrupted {
        path: p.clone(),
        what,
    };

    // The magic: a file shorter than it that starts like it is a truncated snapshot.
    let mut magic = [0u8; 8];
    let have = len.min(8) as usize;
    r.take(&mut magic[..have]).map_err(io)?;
    if magic[..have] != MAGIC[..have] {
        return Err(SnapshotError::Foreign { path: p });
    }
    if len < PREFIX_LEN {
        return Err(truncated(PREFIX_LEN + 8));
    }
    let mut word = [0u8; 4];
    r.take(&mut word).map_err(io)?;
    let version = u32::from_le_bytes(word);
    if version > FORMAT_VERSION {
        return Err(SnapshotError::FutureVersion {
            path: p,
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    r.take(&mut word).map_err(io)?;
    let header_len = u32::from_le_bytes(word) as u64;
    if header_len > MAX_HEADER_LEN {
        return Err(corrupted(format!(
            "its header length ({header_len} bytes) is impossible"
        )));
    }
    if len < PREFIX_LEN + header_len + 8 {
        return Err(truncated(PREFIX_LEN + header_len + 8));
    }
    let mut header_bytes = vec![0u8; header_len as usize];
    r.take(&mut header_bytes).map_err(io)?;
    let header_crc = r.crc.clone().finalize();
    r.take(&mut word).map_err(io)?;
    if u32::from_le_bytes(word) != header_crc {
        return Err(corrupted("the header checksum does not match".into()));
    }
    if version == 0 {
        return Err(SnapshotError::BadHeader {
            path: p,
            message: "format version 0 does not exist".into(),
        });
    }
    // The header passed its checksum: whatever is wrong with it now, the writer did it.
    let bad = |message: String| SnapshotError::BadHeader {
        path: p.clone(),
        message,
    };
    let mut header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header_bytes).map_err(|e| bad(e.to_string()))?;
    let table: Vec<SectionInfo> = match header.remove("sections") {
        Some(v) => serde_json::from_value(v).map_err(|e| bad(format!("sections: {e}")))?,
        None => return Err(bad("the \"sections\" table is missing".into())),
    };
    let mut body: u64 = 0;
    for s in &table {
        let bytes = s
            .bytes()
            .ok_or_else(|| bad(format!("section {} has an impossible shape", s.name)))?;
        body = body
            .checked_add(bytes)
            .ok_or_else(|| bad("the sections add up to an impossible size".into()))?;
        if s.required && !known(version, &s.name) {
            return Err(SnapshotError::UnknownSection {
                path: p,
                section: s.name.clone(),
            });
        }
    }
    let expected = PREFIX_LEN + header_len + 4 + body + 4;
    if len < expected {
        return Err(truncated(expected));
    }
    if len > expected {
        return Err(corrupted(format!(
            "it is {} bytes longer than its sections account for",
            len - expected
        )));
    }

    let mut sections = Vec::new();
    for s in table {
        let n = s.elements().expect("checked above") as usize;
        if !known(version, &s.name) {
            // Skipped, but still part of the file check.
            let mut left = s.bytes().expect("checked above");
            let mut buf = vec![0u8; CHUNK];
            while left > 0 {
                let k = left.min(CHUNK as u64) as usize;
                r.take(&mut buf[..k]).map_err(io)?;
                left -= k as u64;
            }
            continue;
        }
        let data = match s.dtype {
            Dtype::U8 => {
                let mut v = vec![0u8; n];
                r.take(&mut v).map_err(io)?;
                SectionData::U8(v)
            }
            Dtype::U16 => SectionData::U16(take_values(&mut r, n, u16::from_le_bytes).map_err(io)?),
            Dtype::U32 => SectionData::U32(take_values(&mut r, n, u32::from_le_bytes).map_err(io)?),
            Dtype::F32 => SectionData::F32(take_values(&mut r, n, f32::from_le_bytes).map_err(io)?),
        };
        sections.push((s, data));
    }
    let found = r.crc.clone().finalize();
    let mut stored = [0u8; 4];
    r.inner.read_exact(&mut stored).map_err(io)?;
    let stored = u32::from_le_bytes(stored);
    if stored != found {
        return Err(corrupted(format!(
            "the file checksum {found:08x} does not match the stored {stored:08x}"
        )));
    }
    Ok(Container {
        version,
        header,
        sections,
        file_crc: stored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("x.olsnap");
        let mut header = serde_json::Map::new();
        header.insert("hello".into(), "world".into());
        let words: Vec<u32> = (0..12).map(|i| i * 0x0101_0101).collect();
        let floats = [
            0.0f32,
            -0.0,
            1.5,
            f32::MIN_POSITIVE / 3.0,
            f32::NAN,
            f32::INFINITY,
        ];
        let small: Vec<u16> = vec![1, 2, 65535];
        write(
            &path,
            &header,
            &[
                SectionOut {
                    name: "words",
                    shape: &[3, 4],
                    required: true,
                    data: SectionSlice::U32(&words),
                },
                SectionOut {
                    name: "floats",
                    shape: &[6],
                    required: false,
                    data: SectionSlice::F32(&floats),
                },
                SectionOut {
                    name: "small",
                    shape: &[3],
                    required: false,
                    data: SectionSlice::U16(&small),
                },
            ],
        )
        .unwrap();
        path
    }

    #[test]
    fn sections_round_trip_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let c = read(&path, &|_, n| ["words", "floats", "small"].contains(&n)).unwrap();
        assert_eq!(c.header["hello"], "world");
        assert!(!c.header.contains_key("sections"));
        assert_eq!(c.sections.len(), 3);
        assert_eq!(
            c.sections[0].1,
            SectionData::U32((0..12).map(|i| i * 0x0101_0101).collect())
        );
        let SectionData::F32(f) = &c.sections[1].1 else {
            panic!("dtype")
        };
        let bits: Vec<u32> = f.iter().map(|x| x.to_bits()).collect();
        let want: Vec<u32> = [
            0.0f32,
            -0.0,
            1.5,
            f32::MIN_POSITIVE / 3.0,
            f32::NAN,
            f32::INFINITY,
        ]
        .iter()
        .map(|x| x.to_bits())
        .collect();
        assert_eq!(bits, want);
        assert_eq!(c.file_crc, trailer_crc(&path).unwrap());
        assert!(!dir.path().join(".x.olsnap.tmp").exists());
    }

    #[test]
    fn unknown_optional_sections_are_skipped_and_required_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let c = read(&path, &|_, n| n == "words").unwrap();
        assert_eq!(c.sections.len(), 1);
        let e = read(&path, &|_, n| n == "floats").unwrap_err();
        assert!(
            matches!(e, SnapshotError::UnknownSection { ref section, .. } if section == "words"),
            "{e}"
        );
    }
}
