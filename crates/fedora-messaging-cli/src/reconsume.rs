//! `fedora-messaging reconsume`: one archived message through a handler, with no broker.

use crate::args::ReconsumeArgs;
use crate::{consume, exec, replay};

pub(crate) async fn reconsume(args: ReconsumeArgs) -> i32 {
    let client = match replay::client(&args.datagrepper_url) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let env = match client.message(&args.message_id).await {
        Ok(env) => env,
        Err(e) => return replay::fetch_failed(&e),
    };
    let Some(cmd) = args.exec else {
        return match consume::print_message(&env, args.json) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("Error: cannot write the message: {e}");
                1
            }
        };
    };
    match exec::spawn(&cmd, &env).await {
        Ok(status) => {
            let code = status.code();
            eprintln!(
                "reconsume: `{cmd}` exited with {status}: a consumer would {}",
                exec::consequence(code)
            );
            // Killed by a signal: 128 + its number, as a shell reports it.
            code.unwrap_or_else(|| {
                use std::os::unix::process::ExitStatusExt;
                128 + status.signal().unwrap_or(0)
            })
        }
        Err(e) => {
            eprintln!("Error: cannot run `{cmd}`: {e}");
            1
        }
    }
}
