//! `inlet`: the desktop app, the headless listener and the command line (docs/design.md §8).

mod cli;

use clap::Parser;

/// mimalloc (the global allocator, see the listener) commits its arenas eagerly, and where
/// transparent huge pages are on ("always", Debian's default) the first touch of each thread's
/// segment then takes a whole 2 MiB page: 10 MB of an idle `inlet serve` that was 6 MB without.
/// Huge pages are turned off for this process before anything allocates: a constructor runs
/// before the Rust runtime does. (Its children, WebKit's helpers in the window, inherit it; their
/// memory measured the same.)
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static NO_HUGE_PAGES: extern "C" fn() = {
    extern "C" fn no_huge_pages() {
        // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and only sets a flag of
        // this process; a failure (an old kernel) leaves the default, which is only more memory.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
    no_huge_pages
};

/// Turns huge pages back on for a one-shot command that plans a large file (`inlet preview` of a
/// file of 4 MiB or more). The reason above is an idle listener's memory; such a command touches
/// tens of MB of fresh memory, and faulting it in 4 KiB at a time was about a tenth of a
/// 100,000-row preview's time (BENCHMARKS.md, `## Core`). Where huge pages are on only where
/// asked ("madvise"), mimalloc asks.
pub(crate) fn allow_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: as `no_huge_pages`.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0);
    }
}

fn main() -> std::process::ExitCode {
    let args = cli::args::Cli::parse();
    inlet_desktop::log::init();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of our output went away (`inlet preview --json | head`): what it read is
        // all it wanted, as for any Unix filter; no error to report.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("inlet: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
