//! How the service tries again, in one place. Every loop that waits and
//! tries again (a call AWS answered only in part, a transaction a
//! conflicting one cancelled, a whole step that met an error worth another
//! try, a message that came before the change it is about) takes one of
//! these policies: a number of tries, and a pause that doubles from the
//! first up to the longest.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Tries in all, the first included.
    pub tries: u32,
    pub first_pause: Duration,
    pub longest_pause: Duration,
}

impl Retry {
    /// One AWS call whose work is left partly undone: keys DynamoDB left
    /// unprocessed, messages SQS refused, a transaction cancelled by a
    /// conflicting one. About 5 s of pauses in all; then the caller's own
    /// retry (its message's next delivery, the client's next request)
    /// takes over.
    pub const CALL: Self = Self {
        tries: 9,
        first_pause: Duration::from_millis(25),
        longest_pause: Duration::from_millis(1600),
    };

    /// A whole step that may run any number of times (a chunk, a
    /// validation), tried again within one delivery while it fails in a
    /// way worth another try. Such a step makes dozens of AWS calls, so an
    /// error the SDK's own retries did not absorb (a call throttled thrice,
    /// an answer lost) is far likelier for it than for one call: tried
    /// again here it costs a moment, not the queue's visibility timeout,
    /// and does not spend one of the message's few deliveries (after five,
    /// the dead-letter queue fails the import).
    pub const STEP: Self = Self {
        tries: 3,
        first_pause: Duration::from_millis(400),
        longest_pause: Duration::from_millis(800),
    };

    /// A message that arrived before the change it is about was stored
    /// (a re-validation is sent before its `PATCH` stores the new options):
    /// looked at again every 200 ms for 5 s, then handed back to the queue.
    pub const RACE: Self = Self {
        tries: 25,
        first_pause: Duration::from_millis(200),
        longest_pause: Duration::from_millis(200),
    };

    /// The pause after try `tried` (1 after the first), or `None` when no
    /// tries are left.
    pub fn pause(&self, tried: u32) -> Option<Duration> {
        if tried >= self.tries {
            return None;
        }
        let doubled = self
            .first_pause
            .saturating_mul(1u32 << tried.saturating_sub(1).min(16));
        Some(doubled.min(self.longest_pause))
    }

    /// Waits the pause after try `tried`; answers whether another try may
    /// follow.
    pub async fn wait(&self, tried: u32) -> bool {
        match self.pause(tried) {
            Some(pause) => {
                tokio::time::sleep(pause).await;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_longest_and_stop_after_the_last_try() {
        let ms = |tried| Retry::CALL.pause(tried).map(|d| d.as_millis());
        assert_eq!(ms(1), Some(25));
        assert_eq!(ms(2), Some(50));
        assert_eq!(ms(7), Some(1600));
        assert_eq!(ms(8), Some(1600));
        assert_eq!(ms(9), None);
        assert_eq!(Retry::STEP.pause(1), Some(Duration::from_millis(400)));
        assert_eq!(Retry::STEP.pause(2), Some(Duration::from_millis(800)));
        assert_eq!(Retry::STEP.pause(3), None);
        assert_eq!(Retry::RACE.pause(24), Some(Duration::from_millis(200)));
        assert_eq!(Retry::RACE.pause(25), None);
    }
}
