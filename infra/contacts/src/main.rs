use std::process::ExitCode;

fn main() -> ExitCode {
    // Unlocked handles: the local stack's threads log to stderr meanwhile,
    // and a lock held here for the whole run would stall them.
    contacts::run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
}
