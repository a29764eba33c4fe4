use std::process::ExitCode;

fn main() -> ExitCode {
    // The local stack's failures (a request answering 503, a message put
    // back) show on stderr as they would in CloudWatch; routine events stay
    // quiet beside the command's own output.
    contact_service::logging::init_warnings();
    // Unlocked handles: the local stack's threads log to stderr meanwhile,
    // and a lock held here for the whole run would stall them.
    contacts::run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
}
