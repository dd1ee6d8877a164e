//! VTK XML ImageData (`.vti`), the format ParaView opens directly.
//!
//! One voxel (VTK cell) per site: `WholeExtent="0 nx 0 ny 0 nz"` counts points, so
//! there are nx × ny × nz cells, x fastest, as the sites are stored. `Spacing` is the
//! site edge in µm and `Origin` 0, so distances read in µm. Every array is `CellData`
//! under its `site_arrays` name, stored raw (little-endian, UInt64 block headers) in
//! one `AppendedData` block. `FieldData` carries `TimeValue` (hours; ParaView's time),
//! `tick` and `site_size_um`.

use super::{byte_len, stream, Metadata};
use crate::output::arrays::{ArrayData, NamedArray};
use crate::output::atomic::{self, WriteError};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

fn vtk_type(data: &ArrayData) -> &'static str {
    match data {
        ArrayData::U8(_) => "UInt8",
        ArrayData::U16(_) => "UInt16",
        ArrayData::U32(_) => "UInt32",
        ArrayData::F32(_) => "Float32",
    }
}

/// The XML before the appended data, with each array's offset into it.
fn xml_head(meta: &Metadata, arrays: &[NamedArray]) -> String {
    let [nx, ny, nz] = meta.dims;
    let h = meta.site_size_um;
    let mut x = String::new();
    let _ = writeln!(x, "<?xml version=\"1.0\"?>");
    let _ = writeln!(
        x,
        "<VTKFile type=\"ImageData\" version=\"1.0\" byte_order=\"LittleEndian\" header_type=\"UInt64\">"
    );
    let _ = writeln!(
        x,
        "  <ImageData WholeExtent=\"0 {nx} 0 {ny} 0 {nz}\" Origin=\"0 0 0\" Spacing=\"{h} {h} {h}\">"
    );
    let _ = writeln!(x, "    <FieldData>");
    for (name, ty, value) in [
        ("TimeValue", "Float64", meta.time_h.to_string()),
        ("tick", "Int64", meta.tick.to_string()),
        ("site_size_um", "Float64", h.to_string()),
    ] {
        let _ = writeln!(
            x,
            "      <DataArray type=\"{ty}\" Name=\"{name}\" NumberOfTuples=\"1\" format=\"ascii\">{value}</DataArray>"
        );
    }
    let _ = writeln!(x, "    </FieldData>");
    let _ = writeln!(x, "    <Piece Extent=\"0 {nx} 0 {ny} 0 {nz}\">");
    let _ = writeln!(x, "      <PointData>\n      </PointData>");
    let scalars = arrays.first().map_or("", |a| a.name.as_str());
    let _ = writeln!(x, "      <CellData Scalars=\"{scalars}\">");
    let mut offset = 0u64;
    for a in arrays {
        let _ = writeln!(
            x,
            "        <DataArray type=\"{}\" Name=\"{}\" NumberOfComponents=\"1\" format=\"appended\" offset=\"{offset}\"/>",
            vtk_type(&a.data),
            a.name
        );
        offset += 8 + byte_len(&a.data);
    }
    let _ = writeln!(x, "      </CellData>");
    let _ = writeln!(x, "    </Piece>");
    let _ = writeln!(x, "  </ImageData>");
    let _ = write!(x, "  <AppendedData encoding=\"raw\">\n   _");
    x
}

/// Writes the VTI atomically; `done` is called with the bytes of each chunk of arrays.
pub fn write(
    path: &Path,
    meta: &Metadata,
    arrays: &[NamedArray],
    done: &mut dyn FnMut(u64),
) -> Result<(), WriteError> {
    atomic::write_with(path, |w| {
        w.write_all(xml_head(meta, arrays).as_bytes())?;
        for a in arrays {
            w.write_all(&byte_len(&a.data).to_le_bytes())?;
            stream(&a.data, w, done)?;
        }
        w.write_all(b"\n  </AppendedData>\n</VTKFile>\n")
    })
}
