//! The command line of the instruction-counting benches (`instructions.rs` here, the root
//! package's `generated.rs`): `PATH N`, run by `scripts/bench-instructions`.

use std::collections::BTreeMap;

/// A path's name and what one message of it does.
pub(crate) type Paths<'a> = BTreeMap<&'static str, Box<dyn Fn() + 'a>>;

/// Runs the path named on the command line N times; exits with a usage line (naming `bench` and
/// the known paths) when the arguments are not a known path and a number.
pub(crate) fn run(bench: &str, paths: &Paths<'_>) {
    // `cargo bench` appends `--bench`.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let known = paths.keys().copied().collect::<Vec<_>>().join(", ");
    let usage = || -> ! {
        eprintln!("{bench} bench: PATH N, PATH one of {known} (run by scripts/bench-instructions)");
        std::process::exit(2);
    };
    let [path, n] = args.as_slice() else { usage() };
    let (Some(run), Ok(n)) = (paths.get(path.as_str()), n.parse::<usize>()) else {
        usage()
    };
    for _ in 0..n {
        run();
    }
}
