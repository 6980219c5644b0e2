//! Client processes, as Jepsen runs them: each does one operation at a time — invoke, wait for
//! the answer or time out — records it in the history, thinks, and goes on. A process sends
//! to the replica it believes leads, follows "not the leader" hints, and resends an operation
//! that timed out to the same replica as many times as its group allows (with the same
//! idempotency key, if it uses them); when they run out, its next operation asks the next
//! replica.
//!
//! A read-modify-write group's process (`read_modify_write.rs`) makes each try a read, then a
//! compare-and-set from the value read, and after a failed try waits its backoff before it
//! reads again.

use crate::message::{Answer, ClientOp, Msg};
use crate::model::{Dest, Event, StoreModel};
use crate::process::Open;
use crate::read_modify_write::Progress;
use crate::spec::Reads;
use rand::Rng;
use sim_backoff::BackoffState;
use sim_core::{Context, SimDuration, SimTime};
use sim_history::{Call, Completion, Key};

impl StoreModel {
    /// Schedules process `p`'s next operation after its think time (at once for the first,
    /// spread over one think time so processes do not start in lockstep).
    pub(crate) fn schedule_next(&mut self, ctx: &mut Context<Event>, p: usize, first: bool) {
        let g = self.processes[p].group as usize;
        if let Some(limit) = self.spec.clients[g].operations {
            if self.processes[p].done >= limit {
                return;
            }
        }
        let mut think = self.think[g].sample(&mut self.client_rng[g]);
        if first {
            think = self.spec.clients[g].start
                + SimDuration::from_nanos(self.client_rng[g].random_range(0..=think.as_nanos()));
        }
        if ctx.now() + think < self.end {
            ctx.schedule_in(think, Event::Next { process: p as u32 });
        }
    }

    pub(crate) fn pick_key(&mut self, g: usize) -> u32 {
        let rng = &mut self.client_rng[g];
        if self.zipf.is_empty() {
            rng.random_range(0..self.spec.keys)
        } else {
            let total = *self.zipf.last().expect("at least one key");
            let u = rng.random::<f64>() * total;
            (self.zipf.partition_point(|&c| c <= u) as u32).min(self.spec.keys - 1)
        }
    }

    /// Process `p` invokes its next operation (or its read-modify-write's next try).
    pub(crate) fn next_op(&mut self, ctx: &mut Context<Event>, p: usize) {
        let g = self.processes[p].group as usize;
        if self.spec.clients[g].read_modify_write.is_some() {
            let (key, call) = self.rmw_next(ctx.now(), p);
            self.invoke(ctx, p, key, call);
            return;
        }
        let mix = self.spec.clients[g].mix;
        let key = self.pick_key(g);
        let total = mix.read + mix.write + mix.cas + mix.add;
        let u = self.client_rng[g].random::<f64>() * total;
        let call = if u < mix.read {
            Call::Read
        } else if u < mix.read + mix.write {
            self.next_value += 1;
            Call::Write(self.next_value)
        } else if u < mix.read + mix.write + mix.cas {
            self.next_value += 1;
            Call::Cas {
                from: self.processes[p].last_seen.unwrap_or(0),
                to: self.next_value,
            }
        } else {
            Call::Add(1)
        };
        self.invoke(ctx, p, key, call);
    }

    /// Process `p` invokes `call` on `key`: recorded in the history, then sent.
    pub(crate) fn invoke(&mut self, ctx: &mut Context<Event>, p: usize, key: u32, call: Call) {
        let g = self.processes[p].group as usize;
        let keyed = self.spec.clients[g].idempotency_keys;
        let id = self
            .history
            .invoke(ctx.now(), sim_history::Process(p as u32), Key(key), call)
            .expect("a process opens one operation at a time");
        self.next_attempt += 1;
        let op = ClientOp {
            key,
            call,
            uid: id.0 as u64,
            attempt: self.next_attempt,
            keyed,
            process: p as u32,
        };
        self.processes[p].open = Some(Open {
            id,
            op,
            resends: 0,
            redirects: 0,
        });
        self.send_attempt(ctx, p);
    }

    /// Sends the open operation's current attempt to the process's target, with a timeout.
    fn send_attempt(&mut self, ctx: &mut Context<Event>, p: usize) {
        let open = self.processes[p].open.expect("an open operation");
        let to = if open.op.call == Call::Read && self.spec.reads == Reads::Any {
            // Any replica will do: the nearest would, but one at random spreads the load.
            let g = self.processes[p].group as usize;
            self.client_rng[g].random_range(0..self.spec.replicas)
        } else {
            self.processes[p].target
        };
        let group = &self.spec.clients[self.processes[p].group as usize];
        let timeout = group.timeout;
        if group.read_modify_write.is_some() {
            self.rmw.calls += 1;
        }
        self.send(
            ctx,
            Dest::Process(p as u32),
            Dest::Replica(to),
            Msg::Request(open.op),
        );
        ctx.schedule_in(
            timeout,
            Event::Timeout {
                process: p as u32,
                attempt: open.op.attempt,
            },
        );
    }

    /// A new attempt of the open operation (same operation, same idempotency key if any).
    fn resend(&mut self, ctx: &mut Context<Event>, p: usize) {
        self.next_attempt += 1;
        let attempt = self.next_attempt;
        if let Some(o) = &mut self.processes[p].open {
            // Without an idempotency key (`keyed: false`) the store cannot tell this resend
            // from a new operation, and applies both.
            o.op.attempt = attempt;
        }
        self.send_attempt(ctx, p);
    }

    /// An answer reaches process `p`.
    pub(crate) fn answer(&mut self, ctx: &mut Context<Event>, p: usize, msg: Msg) {
        let Msg::Reply {
            attempt, answer, ..
        } = msg
        else {
            return;
        };
        let Some(open) = self.processes[p].open else {
            return;
        };
        if open.op.attempt != attempt {
            return; // an answer to an attempt it gave up on
        }
        let completion = match answer {
            Answer::Ok(v) => {
                let seen = match open.op.call {
                    Call::Read => v,
                    Call::Write(x) | Call::Cas { to: x, .. } => Some(x),
                    Call::Add(_) => None,
                };
                if seen.is_some() {
                    self.processes[p].last_seen = seen;
                }
                Completion::Ok(if open.op.call == Call::Read { v } else { None })
            }
            Answer::CasFailed | Answer::Unavailable => Completion::Fail,
            Answer::NotLeader(hint) => {
                let n = self.spec.replicas;
                let proc_ = &mut self.processes[p];
                proc_.target = hint.unwrap_or((proc_.target + 1) % n);
                if let Some(o) = &mut proc_.open {
                    o.redirects += 1;
                    if o.redirects <= 2 * n {
                        self.resend(ctx, p);
                        return;
                    }
                }
                Completion::Fail // nobody leads: definitely not applied
            }
        };
        self.finish(ctx, p, completion);
    }

    pub(crate) fn timed_out(&mut self, ctx: &mut Context<Event>, p: usize, attempt: u64) {
        let Some(open) = self.processes[p].open else {
            return;
        };
        if open.op.attempt != attempt {
            return;
        }
        let g = self.processes[p].group as usize;
        let n = self.spec.replicas;
        if open.resends < self.spec.clients[g].retries {
            // Resend to the replica it believes leads, as a client of one endpoint does.
            if let Some(o) = &mut self.processes[p].open {
                o.resends += 1;
            }
            self.resend(ctx, p);
        } else {
            // Whoever it asked may be gone: the next operation asks the next replica.
            self.processes[p].target = (self.processes[p].target + 1) % n;
            self.finish(ctx, p, Completion::Info);
        }
    }

    fn finish(&mut self, ctx: &mut Context<Event>, p: usize, completion: Completion) {
        let open = self.processes[p].open.take().expect("an open operation");
        self.history
            .complete(ctx.now(), open.id, completion)
            .expect("completed once, after its invocation");
        if self.end_external(p, open.op, completion) {
            return;
        }
        if self.processes[p].rmw.is_some() {
            self.rmw_step(ctx, p, open.op.call, completion);
            return;
        }
        self.processes[p].done += 1;
        self.schedule_next(ctx, p, false);
    }
}

/// How one read-modify-write ended.
enum End {
    Completed,
    Abandoned,
    Indeterminate,
}

impl StoreModel {
    /// The key and call of process `p`'s next read-modify-write try: a read, beginning a new
    /// operation on a fresh key if none is in progress.
    pub(crate) fn rmw_next(&mut self, now: SimTime, p: usize) -> (u32, Call) {
        if self.processes[p].rmw.is_none() {
            let key = self.pick_key(self.processes[p].group as usize);
            self.processes[p].rmw = Some(Progress {
                key,
                tries: 1,
                began: now,
                backoff: BackoffState::default(),
            });
            self.rmw.begun += 1;
        }
        let key = self.processes[p].rmw.expect("in progress").key;
        (key, Call::Read)
    }

    /// Process `p`'s read or compare-and-set `call` ended with `completion`: compare-and-set
    /// what was read, end the operation, or back off and try again.
    pub(crate) fn rmw_step(
        &mut self,
        ctx: &mut Context<Event>,
        p: usize,
        call: Call,
        completion: Completion,
    ) {
        let progress = self.processes[p]
            .rmw
            .expect("a read-modify-write in progress");
        match (call, completion) {
            (Call::Read, Completion::Ok(Some(v))) => {
                self.invoke(
                    ctx,
                    p,
                    progress.key,
                    Call::Cas {
                        from: v,
                        to: v.wrapping_add(1),
                    },
                );
            }
            (Call::Cas { .. }, Completion::Ok(_)) => self.rmw_end(ctx, p, End::Completed),
            (Call::Cas { .. }, Completion::Info) => self.rmw_end(ctx, p, End::Indeterminate),
            _ => {
                // A conflict, a refusal, or a read nobody answered: wait, then read again.
                if matches!(call, Call::Cas { .. }) {
                    self.rmw.cas_failed += 1;
                }
                let g = self.processes[p].group as usize;
                let spec = self.spec.clients[g]
                    .read_modify_write
                    .as_ref()
                    .expect("a read-modify-write group");
                if progress.tries >= spec.max_tries {
                    self.rmw_end(ctx, p, End::Abandoned);
                    return;
                }
                let u = self.client_rng[g].random::<f64>();
                let rmw = self.processes[p].rmw.as_mut().expect("in progress");
                let wait = spec.backoff.delay(rmw.tries, u, &mut rmw.backoff);
                rmw.tries += 1;
                if ctx.now() + wait < self.end {
                    ctx.schedule_in(wait, Event::Next { process: p as u32 });
                }
            }
        }
    }

    fn rmw_end(&mut self, ctx: &mut Context<Event>, p: usize, end: End) {
        let progress = self.processes[p].rmw.take().expect("in progress");
        let now = ctx.now();
        let t = &mut self.rmw;
        match end {
            End::Completed => {
                t.completed += 1;
                t.tries.record(progress.tries as u64);
                t.time.record(now.since(progress.began).as_nanos());
            }
            End::Abandoned => t.abandoned += 1,
            End::Indeterminate => t.indeterminate += 1,
        }
        t.span = Some(match t.span {
            None => (progress.began, now),
            Some((a, b)) => (a.min(progress.began), b.max(now)),
        });
        self.processes[p].done += 1;
        self.schedule_next(ctx, p, false);
    }
}
