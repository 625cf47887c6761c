//! Inlet's pure core (docs/design.md §1–5): no I/O, no clock, no randomness. The desktop host, the CLI and
//! the WebAssembly preview all run this code, so a preview cannot disagree with a real write.

pub mod directory;
pub mod drift;
pub mod inventory;
mod json;
pub mod liquid;
pub mod mapping;
pub mod node;
pub mod normalize;
pub mod path;
pub mod payload;
pub mod plan;
pub mod planner;
pub mod preview;
mod reader;
pub mod timestamp;

pub use directory::{
    BatchKeys, Directory, DirectoryError, EmptyDirectory, Found, MemoryDirectory, Snapshot,
};
pub use mapping::{Behavior, Compiled, Kind, Mapping, MappingError, OnRemoved};
pub use node::Node;
pub use path::{Path, PathError};
pub use payload::{ContentKind, PayloadError};
pub use plan::{By, Key, Link, Outcome, Plan, Properties, RowPlan, Summary, Target, Write};
pub use planner::{batch_keys, plan, PlanError, DEFAULT_MAX_ROWS};
