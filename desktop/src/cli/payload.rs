//! The payload file `inlet preview` reads.

use std::path::Path;

/// A payload file's bytes: a large regular file is mapped rather than copied (a whole export
/// read into memory first is a copy of its every page, before the preview starts), anything
/// else is read.
pub(super) enum Payload {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl Payload {
    /// Below this, reading costs less than setting up a mapping.
    const MAP_FROM: u64 = 1 << 20;

    pub(super) fn open(p: &Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(p)?;
        let meta = file.metadata()?;
        if meta.is_file() && meta.len() >= Self::MAP_FROM {
            // SAFETY: the map is only read, and only while this command runs. Were the file
            // changed meanwhile, the preview would read the changed bytes (the reader checks
            // them as it checks any body); were it cut short, the process would stop on SIGBUS
            // (docs/decisions.md: the risk ripgrep takes for the same gain).
            if let Ok(m) = unsafe { memmap2::Mmap::map(&file) } {
                #[cfg(unix)]
                let _ = m.advise(memmap2::Advice::Sequential);
                return Ok(Payload::Mapped(m));
            }
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        std::io::Read::read_to_end(&mut &file, &mut bytes)?;
        Ok(Payload::Read(bytes))
    }
}

impl std::ops::Deref for Payload {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Payload::Mapped(m) => m,
            Payload::Read(v) => v,
        }
    }
}
