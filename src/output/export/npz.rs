//! NumPy `.npz`: a ZIP archive (stored, not compressed) of `.npy` files (format 1.0),
//! read by `numpy.load` without pickle. Entries carry no timestamps (1980-01-01), so
//! the same arrays give the same bytes. ZIP64 records are written when an entry or the
//! archive passes 4 GiB.
//!
//! An export holds every site array shaped `(nz, ny, nx)` under its name, and
//! `metadata` (a JSON string: units, roles, scene, backend), `site_size_um`, `tick`,
//! `time_h` and `dims` (`[nx, ny, nz]`).

use super::{byte_len, stream, Metadata};
use crate::model::lineage::Lineage;
use crate::output::arrays::{ArrayData, NamedArray};
use crate::output::atomic::{self, WriteError};
use std::io::Write;
use std::path::Path;

/// Payload of one `.npy` entry.
#[derive(Debug, Clone, Copy)]
pub enum NpyData<'a> {
    Array(&'a ArrayData),
    /// Raw little-endian bytes matching the descriptor.
    Bytes(&'a [u8]),
}

/// One `.npy` file of the archive.
#[derive(Debug, Clone)]
pub struct NpyEntry<'a> {
    /// Name without `.npy` (the key `numpy.load` gives it).
    pub name: String,
    /// NumPy dtype descriptor, e.g. `<f4`.
    pub descr: String,
    pub shape: Vec<u64>,
    pub data: NpyData<'a>,
}

fn descr_of(data: &ArrayData) -> &'static str {
    match data {
        ArrayData::U8(_) => "|u1",
        ArrayData::U16(_) => "<u2",
        ArrayData::U32(_) => "<u4",
        ArrayData::F32(_) => "<f4",
    }
}

/// UTF-32 code units of a 0-d `<U` string, with its descriptor.
pub fn unicode(text: &str) -> (String, Vec<u8>) {
    let mut data: Vec<u8> = text
        .chars()
        .flat_map(|c| (c as u32).to_le_bytes())
        .collect();
    let n = text.chars().count();
    if n == 0 {
        data.extend_from_slice(&0u32.to_le_bytes());
    }
    (format!("<U{}", n.max(1)), data)
}

impl<'a> NpyEntry<'a> {
    pub fn array(name: &str, shape: &[u64], data: &'a ArrayData) -> NpyEntry<'a> {
        NpyEntry {
            name: name.into(),
            descr: descr_of(data).into(),
            shape: shape.to_vec(),
            data: NpyData::Array(data),
        }
    }

    pub fn bytes(name: &str, descr: &str, shape: &[u64], bytes: &'a [u8]) -> NpyEntry<'a> {
        NpyEntry {
            name: name.into(),
            descr: descr.into(),
            shape: shape.to_vec(),
            data: NpyData::Bytes(bytes),
        }
    }

    fn data_len(&self) -> u64 {
        match self.data {
            NpyData::Array(a) => byte_len(a),
            NpyData::Bytes(b) => b.len() as u64,
        }
    }

    /// Magic, version 1.0, and the header dict padded so the data starts at a multiple
    /// of 64 bytes.
    fn npy_header(&self) -> Vec<u8> {
        let shape = match self.shape.as_slice() {
            [] => "()".to_string(),
            [n] => format!("({n},)"),
            dims => format!(
                "({})",
                dims.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut dict = format!(
            "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
            self.descr
        );
        let unpadded = 10 + dict.len() + 1;
        dict.push_str(&" ".repeat((64 - unpadded % 64) % 64));
        dict.push('\n');
        let mut out = Vec::with_capacity(10 + dict.len());
        out.extend_from_slice(b"\x93NUMPY\x01\x00");
        out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out
    }

    fn write_data(&self, w: &mut dyn Write, done: &mut dyn FnMut(u64)) -> std::io::Result<()> {
        match self.data {
            NpyData::Array(a) => stream(a, w, done),
            NpyData::Bytes(b) => w.write_all(b),
        }
    }
}

/// A writer that counts bytes and keeps a CRC.
struct Counting<'w> {
    inner: &'w mut dyn Write,
    written: u64,
    crc: crc32fast::Hasher,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// CRC-32 of what `fill` writes, without keeping it.
fn crc_of(fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<u32> {
    let mut sink = std::io::sink();
    let mut c = Counting {
        inner: &mut sink,
        written: 0,
        crc: crc32fast::Hasher::new(),
    };
    fill(&mut c)?;
    Ok(c.crc.finalize())
}

const LIMIT32: u64 = 0xFFFF_FFFF;
/// 1980-01-01 00:00 in MS-DOS format.
const DOS_DATE: u16 = (1 << 5) | 1;
const VERSION_ZIP64: u16 = 45;
const VERSION_PLAIN: u16 = 20;
/// Made by: Unix (3), spec 4.5; files get mode 0644.
const MADE_BY: u16 = (3 << 8) | 45;
const EXTERNAL_ATTR: u32 = 0o100644 << 16;

struct Central {
    name: Vec<u8>,
    crc: u32,
    size: u64,
    offset: u64,
    zip64: bool,
}

fn u16le(w: &mut dyn Write, v: u16) -> std::io::Result<()> {
    w.write_all(&v.to_le_bytes())
}
fn u32le(w: &mut dyn Write, v: u32) -> std::io::Result<()> {
    w.write_all(&v.to_le_bytes())
}
fn u64le(w: &mut dyn Write, v: u64) -> std::io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

/// Writes the entries as a ZIP archive to `w`. `force_zip64` writes ZIP64 records even
/// for small entries (tests use it to check readers accept them).
pub fn write_zip(
    w: &mut dyn Write,
    entries: &[NpyEntry],
    force_zip64: bool,
    done: &mut dyn FnMut(u64),
) -> std::io::Result<()> {
    let mut out = Counting {
        inner: w,
        written: 0,
        crc: crc32fast::Hasher::new(),
    };
    let mut central = Vec::with_capacity(entries.len());
    for e in entries {
        let header = e.npy_header();
        let size = header.len() as u64 + e.data_len();
        let crc = crc_of(|s| {
            s.write_all(&header)?;
            e.write_data(s, &mut |_| {})
        })?;
        let offset = out.written;
        let zip64 = force_zip64 || size >= LIMIT32 || offset >= LIMIT32;
        let name = format!("{}.npy", e.name).into_bytes();
        u32le(&mut out, 0x0403_4b50)?;
        u16le(&mut out, if zip64 { VERSION_ZIP64 } else { VERSION_PLAIN })?;
        u16le(&mut out, 0)?; // flags
        u16le(&mut out, 0)?; // stored
        u16le(&mut out, 0)?; // time
        u16le(&mut out, DOS_DATE)?;
        u32le(&mut out, crc)?;
        let size32 = if zip64 { LIMIT32 as u32 } else { size as u32 };
        u32le(&mut out, size32)?;
        u32le(&mut out, size32)?;
        u16le(&mut out, name.len() as u16)?;
        u16le(&mut out, if zip64 { 20 } else { 0 })?;
        out.write_all(&name)?;
        if zip64 {
            u16le(&mut out, 0x0001)?;
            u16le(&mut out, 16)?;
            u64le(&mut out, size)?;
            u64le(&mut out, size)?;
        }
        out.write_all(&header)?;
        e.write_data(&mut out, done)?;
        central.push(Central {
            name,
            crc,
            size,
            offset,
            zip64,
        });
    }

    let cd_offset = out.written;
    for c in &central {
        let big_offset = c.zip64 && (force_zip64 || c.offset >= LIMIT32);
        let mut extra = Vec::new();
        if c.zip64 {
            extra.extend_from_slice(&c.size.to_le_bytes());
            extra.extend_from_slice(&c.size.to_le_bytes());
        }
        if big_offset {
            extra.extend_from_slice(&c.offset.to_le_bytes());
        }
        u32le(&mut out, 0x0201_4b50)?;
        u16le(&mut out, MADE_BY)?;
        u16le(
            &mut out,
            if c.zip64 {
                VERSION_ZIP64
            } else {
                VERSION_PLAIN
            },
        )?;
        u16le(&mut out, 0)?;
        u16le(&mut out, 0)?;
        u16le(&mut out, 0)?;
        u16le(&mut out, DOS_DATE)?;
        u32le(&mut out, c.crc)?;
        let size32 = if c.zip64 {
            LIMIT32 as u32
        } else {
            c.size as u32
        };
        u32le(&mut out, size32)?;
        u32le(&mut out, size32)?;
        u16le(&mut out, c.name.len() as u16)?;
        u16le(
            &mut out,
            if extra.is_empty() {
                0
            } else {
                4 + extra.len() as u16
            },
        )?;
        u16le(&mut out, 0)?; // comment
        u16le(&mut out, 0)?; // disk
        u16le(&mut out, 0)?; // internal attributes
        u32le(&mut out, EXTERNAL_ATTR)?;
        u32le(
            &mut out,
            if big_offset {
                LIMIT32 as u32
            } else {
                c.offset as u32
            },
        )?;
        out.write_all(&c.name)?;
        if !extra.is_empty() {
            u16le(&mut out, 0x0001)?;
            u16le(&mut out, extra.len() as u16)?;
            out.write_all(&extra)?;
        }
    }
    let cd_size = out.written - cd_offset;
    let n = central.len() as u64;
    let zip64_end = force_zip64 || n >= 0xFFFF || cd_offset >= LIMIT32 || cd_size >= LIMIT32;
    if zip64_end {
        let record = out.written;
        u32le(&mut out, 0x0606_4b50)?;
        u64le(&mut out, 44)?;
        u16le(&mut out, MADE_BY)?;
        u16le(&mut out, VERSION_ZIP64)?;
        u32le(&mut out, 0)?;
        u32le(&mut out, 0)?;
        u64le(&mut out, n)?;
        u64le(&mut out, n)?;
        u64le(&mut out, cd_size)?;
        u64le(&mut out, cd_offset)?;
        u32le(&mut out, 0x0706_4b50)?;
        u32le(&mut out, 0)?;
        u64le(&mut out, record)?;
        u32le(&mut out, 1)?;
    }
    let clamp16 = |v: u64| if zip64_end { 0xFFFF } else { v as u16 };
    let clamp32 = |v: u64| if zip64_end { LIMIT32 as u32 } else { v as u32 };
    u32le(&mut out, 0x0605_4b50)?;
    u16le(&mut out, 0)?;
    u16le(&mut out, 0)?;
    u16le(&mut out, clamp16(n))?;
    u16le(&mut out, clamp16(n))?;
    u32le(&mut out, clamp32(cd_size))?;
    u32le(&mut out, clamp32(cd_offset))?;
    u16le(&mut out, 0)?; // comment
    Ok(())
}

/// Writes `entries` to `path` atomically.
pub fn write_entries(
    path: &Path,
    entries: &[NpyEntry],
    force_zip64: bool,
    done: &mut dyn FnMut(u64),
) -> Result<(), WriteError> {
    atomic::write_with(path, |w| write_zip(w, entries, force_zip64, done))
}

/// The export: every site array shaped `(nz, ny, nx)`, the lineage table
/// (`lineage`, clones × 4, `Metadata::lineage_columns`), and the metadata.
pub fn write(
    path: &Path,
    meta: &Metadata,
    arrays: &[NamedArray],
    lineage: &Lineage,
    done: &mut dyn FnMut(u64),
) -> Result<(), WriteError> {
    let [nx, ny, nz] = meta.dims;
    let shape = [nz as u64, ny as u64, nx as u64];
    let json = serde_json::to_string(meta).expect("metadata serialises");
    let (descr, text) = unicode(&json);
    let size = meta.site_size_um.to_le_bytes();
    let tick = (meta.tick as i64).to_le_bytes();
    let time = meta.time_h.to_le_bytes();
    let dims: Vec<u8> = meta
        .dims
        .iter()
        .flat_map(|&d| (d as i64).to_le_bytes())
        .collect();
    let mut entries: Vec<NpyEntry> = arrays
        .iter()
        .map(|a| NpyEntry::array(&a.name, &shape, &a.data))
        .collect();
    entries.push(NpyEntry::bytes("metadata", &descr, &[], &text));
    entries.push(NpyEntry::bytes("site_size_um", "<f8", &[], &size));
    entries.push(NpyEntry::bytes("tick", "<i8", &[], &tick));
    entries.push(NpyEntry::bytes("time_h", "<f8", &[], &time));
    entries.push(NpyEntry::bytes("dims", "<i8", &[3], &dims));
    let rows: Vec<u8> = lineage
        .clones
        .iter()
        .flat_map(|c| c.words())
        .flat_map(u32::to_le_bytes)
        .collect();
    let clones = lineage.clones.len() as u64;
    entries.push(NpyEntry::bytes("lineage", "<u4", &[clones, 4], &rows));
    write_entries(path, &entries, false, done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_headers_are_64_byte_aligned() {
        let a = ArrayData::F32(vec![1.0; 6]);
        for shape in [&[][..], &[6], &[1, 2, 3]] {
            let e = NpyEntry::array("x", shape, &a);
            let h = e.npy_header();
            assert_eq!(h.len() % 64, 0, "{shape:?}");
            assert_eq!(*h.last().unwrap(), b'\n');
        }
        let (descr, bytes) = unicode("µm");
        assert_eq!(descr, "<U2");
        assert_eq!(bytes.len(), 8);
    }

    #[test]
    fn archives_end_with_a_central_directory() {
        let a = ArrayData::U8(vec![1, 2, 3]);
        let entries = [NpyEntry::array("a", &[3], &a)];
        for zip64 in [false, true] {
            let mut buf = Vec::new();
            write_zip(&mut buf, &entries, zip64, &mut |_| {}).unwrap();
            assert_eq!(&buf[..4], b"PK\x03\x04");
            assert_eq!(&buf[buf.len() - 22..buf.len() - 18], b"PK\x05\x06");
        }
    }
}
