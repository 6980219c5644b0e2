//! The sequential specification every key is checked against: a register that also counts.

use crate::operation::{Call, Completion};

/// A register's value: `None` until the first write.
pub type Value = Option<i64>;

/// The value after `call` ended with `result` on a register holding `state`, or `None` if that
/// outcome is impossible from `state` (a read that saw another value, a compare-and-set whose
/// expected value was not there). Indeterminate calls take effect as if they succeeded.
pub fn step(state: Value, call: Call, result: Completion) -> Option<Value> {
    match call {
        Call::Read => match result {
            Completion::Ok(v) => (v == state).then_some(state),
            // A read with no answer constrains nothing.
            _ => Some(state),
        },
        Call::Write(v) => Some(Some(v)),
        Call::Cas { from, to } => (state == Some(from)).then_some(Some(to)),
        Call::Add(d) => Some(Some(state.unwrap_or(0).wrapping_add(d))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_must_see_the_value_held() {
        assert_eq!(
            step(Some(3), Call::Read, Completion::Ok(Some(3))),
            Some(Some(3))
        );
        assert_eq!(step(Some(3), Call::Read, Completion::Ok(Some(4))), None);
        assert_eq!(step(None, Call::Read, Completion::Ok(None)), Some(None));
    }

    #[test]
    fn cas_needs_its_expected_value_and_add_counts_from_zero() {
        let cas = Call::Cas { from: 1, to: 2 };
        assert_eq!(step(Some(1), cas, Completion::Ok(None)), Some(Some(2)));
        assert_eq!(step(Some(5), cas, Completion::Ok(None)), None);
        assert_eq!(step(None, Call::Add(4), Completion::Info), Some(Some(4)));
    }
}
