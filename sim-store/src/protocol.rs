//! Electing a leader and replicating its log: Raft (votes, terms, log matching, commit of the
//! leader's own term), its lease variant, and naive primary/backup failover (promotion after
//! missed heartbeats, no votes). All three replicate with the same log-matching messages; they
//! differ in who may lead and when an entry counts as committed.

use crate::message::{Answer, Entry, EntryOp, Msg};
use crate::model::{Dest, Event, StoreModel};
use crate::replica::{Role, Waiter};
use crate::spec::{Election, Replication};
use rand::Rng;
use sim_core::{Context, SimDuration, SimTime};

/// The most entries one append carries; a follower far behind catches up over several.
const MAX_BATCH: usize = 256;

impl StoreModel {
    fn failover(&self) -> bool {
        matches!(self.spec.election, Election::Failover { .. })
    }

    fn lease(&self) -> Option<(SimDuration, SimDuration)> {
        match self.spec.election {
            Election::Lease { ttl, margin, .. } => Some((ttl, margin)),
            _ => None,
        }
    }

    /// Starts the protocol: under failover, replica 0 is the first primary (epoch 1); under
    /// Raft every replica starts as a follower with a random election timeout.
    pub(crate) fn start_protocol(&mut self, ctx: &mut Context<Event>) {
        if self.failover() {
            let first = self.spec.first_leader.unwrap_or(0) as usize;
            self.replicas[first].term = 1;
            self.become_leader(ctx, first);
        }
        for r in 0..self.n() {
            if self.replicas[r].role != Role::Leader {
                self.arm_election(ctx, r);
            }
        }
    }

    /// (Re)arms replica `r`'s election timer.
    pub(crate) fn arm_election(&mut self, ctx: &mut Context<Event>, r: usize) {
        let (min, max, heartbeat) = self.timings();
        let failover = self.failover();
        let rep = &mut self.replicas[r];
        rep.election_gen += 1;
        let first = self.spec.first_leader;
        let wait = if failover {
            // Check every heartbeat whether too many went missing.
            heartbeat
        } else {
            let drawn = rep.rng.random_range(min.as_nanos()..=max.as_nanos());
            SimDuration::from_nanos(match first {
                // Before any term, the chosen replica stands first and the others wait.
                Some(f) if rep.term == 0 && f as usize == r => min.as_nanos(),
                Some(_) if rep.term == 0 => max.as_nanos() + drawn,
                _ => drawn,
            })
        };
        let gen = rep.election_gen;
        ctx.schedule_in(
            wait,
            Event::ElectionTimer {
                replica: r as u32,
                gen,
            },
        );
    }

    pub(crate) fn election_timer(&mut self, ctx: &mut Context<Event>, r: usize, gen: u32) {
        let rep = &self.replicas[r];
        if !rep.up || gen != rep.election_gen || rep.role == Role::Leader {
            return;
        }
        let now = ctx.now();
        if self.failover() {
            // A backup promotes itself when the primary has been silent for `missed`
            // heartbeats, plus one per rank so that backups do not all promote at once.
            let (wait, _, heartbeat) = self.timings();
            let patience = wait + SimDuration::from_nanos(heartbeat.as_nanos() * r as u64);
            if now.since(rep.last_heard) >= patience {
                self.replicas[r].term += 1;
                self.become_leader(ctx, r);
            } else {
                self.arm_election(ctx, r);
            }
            return;
        }
        // Raft: stand for election in the next term.
        let rep = &mut self.replicas[r];
        rep.term += 1;
        rep.voted_for = Some(r as u32);
        rep.votes = 1 << r;
        rep.leader = None;
        let (term, last_index, last_term) = (rep.term, rep.last_index(), rep.last_term());
        self.set_role(now, r, Role::Candidate);
        self.arm_election(ctx, r);
        if self.majority() == 1 {
            self.become_leader(ctx, r);
            return;
        }
        for to in 0..self.n() {
            if to != r {
                let msg = Msg::RequestVote {
                    term,
                    candidate: r as u32,
                    last_index,
                    last_term,
                };
                self.send(ctx, Dest::Replica(r as u32), Dest::Replica(to as u32), msg);
            }
        }
    }

    fn become_leader(&mut self, ctx: &mut Context<Event>, r: usize) {
        let now = ctx.now();
        let n = self.n();
        let lease = self.lease();
        let failover = self.failover();
        let rep = &mut self.replicas[r];
        rep.leader = Some(r as u32);
        rep.election_gen += 1; // leaders do not time out
        rep.next_index = vec![rep.last_index() + 1; n];
        rep.match_index = vec![0; n];
        rep.sent_upto = vec![0; n];
        rep.match_index[r] = rep.last_index();
        rep.waiting.clear();
        rep.round_start.clear();
        rep.lease_until = i64::MIN;
        if let Some((ttl, _)) = lease {
            // Wait out any lease the previous leader may still believe it holds.
            rep.serve_after = rep.local(now) + ttl.as_nanos() as i64;
        }
        if failover {
            // A promoted backup serves whatever it holds: naive failover has no notion of an
            // entry not yet committed.
            rep.commit = rep.last_index();
        } else {
            // Raft commits earlier terms' entries only through one of its own.
            let term = rep.term;
            rep.log.push(Entry {
                term,
                op: EntryOp::Noop,
            });
            rep.match_index[r] = rep.last_index();
        }
        self.set_role(now, r, Role::Leader);
        self.heartbeat_round(ctx, r);
        self.advance_commit(ctx, r);
    }

    /// Steps down to follower in `term` (a newer term, or a leader heard in this one).
    fn follow(&mut self, now: SimTime, r: usize, term: u64, leader: Option<u32>) {
        let rep = &mut self.replicas[r];
        if term > rep.term {
            rep.term = term;
            rep.voted_for = None;
        }
        if leader.is_some() {
            rep.leader = leader;
        }
        if rep.role != Role::Follower {
            rep.waiting.clear();
            rep.heartbeat_gen += 1;
            rep.lease_until = i64::MIN;
        }
        self.set_role(now, r, Role::Follower);
    }

    pub(crate) fn heartbeat(&mut self, ctx: &mut Context<Event>, r: usize, gen: u32) {
        let rep = &self.replicas[r];
        if rep.up && rep.role == Role::Leader && gen == rep.heartbeat_gen {
            self.heartbeat_round(ctx, r);
        }
    }

    /// A leader sends every replica what it lacks (a heartbeat if nothing) and arms the next.
    fn heartbeat_round(&mut self, ctx: &mut Context<Event>, r: usize) {
        let now = ctx.now();
        let (_, _, every) = self.timings();
        let rep = &mut self.replicas[r];
        rep.round += 1;
        let start = rep.local(now);
        rep.round_start.push_back((rep.round, start, 1 << r));
        if rep.round_start.len() > 64 {
            rep.round_start.pop_front();
        }
        rep.heartbeat_gen += 1;
        let gen = rep.heartbeat_gen;
        ctx.schedule_in(
            every,
            Event::Heartbeat {
                replica: r as u32,
                gen,
            },
        );
        self.replicate(ctx, r, true);
        if self.majority() == 1 {
            self.extend_lease(r, self.replicas[r].round);
        }
    }

    /// Sends each other replica the entries it lacks: all of them (`all`, a heartbeat round),
    /// or only those never sent.
    pub(crate) fn replicate(&mut self, ctx: &mut Context<Event>, r: usize, all: bool) {
        for to in 0..self.n() {
            let rep = &self.replicas[r];
            if to != r && (all || rep.sent_upto[to] < rep.last_index()) {
                self.send_append(ctx, r, to);
            }
        }
    }

    fn send_append(&mut self, ctx: &mut Context<Event>, r: usize, to: usize) {
        let rep = &self.replicas[r];
        let next = rep.next_index[to].clamp(1, rep.last_index() + 1);
        let prev = next - 1;
        let end = (prev as usize + MAX_BATCH).min(rep.log.len());
        self.replicas[r].sent_upto[to] = end as u64;
        let rep = &self.replicas[r];
        let msg = Msg::Append {
            term: rep.term,
            leader: r as u32,
            prev_index: prev,
            prev_term: rep.term_at(prev),
            entries: rep.log[prev as usize..end].to_vec(),
            commit: rep.commit,
            round: rep.round,
        };
        self.send(ctx, Dest::Replica(r as u32), Dest::Replica(to as u32), msg);
    }

    /// A message reaches replica `r`.
    pub(crate) fn receive(&mut self, ctx: &mut Context<Event>, r: usize, msg: Msg) {
        let now = ctx.now();
        match msg {
            Msg::RequestVote {
                term,
                candidate,
                last_index,
                last_term,
            } => {
                if term > self.replicas[r].term {
                    self.follow(now, r, term, None);
                }
                let rep = &self.replicas[r];
                let up_to_date = last_term > rep.last_term()
                    || (last_term == rep.last_term() && last_index >= rep.last_index());
                let granted =
                    term == rep.term && rep.voted_for.is_none_or(|v| v == candidate) && up_to_date;
                if granted {
                    self.replicas[r].voted_for = Some(candidate);
                    self.arm_election(ctx, r);
                }
                let reply = Msg::Vote {
                    term: self.replicas[r].term,
                    from: r as u32,
                    granted,
                };
                self.send(
                    ctx,
                    Dest::Replica(r as u32),
                    Dest::Replica(candidate),
                    reply,
                );
            }
            Msg::Vote {
                term,
                from,
                granted,
            } => {
                if term > self.replicas[r].term {
                    self.follow(now, r, term, None);
                    self.arm_election(ctx, r);
                    return;
                }
                let rep = &mut self.replicas[r];
                if rep.role == Role::Candidate && term == rep.term && granted {
                    rep.votes |= 1 << from;
                    if rep.votes.count_ones() as usize >= self.majority() {
                        self.become_leader(ctx, r);
                    }
                }
            }
            Msg::Append {
                term,
                leader,
                prev_index,
                prev_term,
                entries,
                commit,
                round,
            } => self.on_append(
                ctx, r, term, leader, prev_index, prev_term, &entries, commit, round,
            ),
            Msg::AppendReply {
                term,
                from,
                success,
                match_index,
                round,
            } => self.on_append_reply(ctx, r, term, from as usize, success, match_index, round),
            Msg::Request(op) => self.request(ctx, r, op),
            Msg::Reply { .. } => {} // replicas are not sent answers
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &mut self,
        ctx: &mut Context<Event>,
        r: usize,
        term: u64,
        leader: u32,
        prev_index: u64,
        prev_term: u64,
        entries: &[Entry],
        commit: u64,
        round: u64,
    ) {
        let now = ctx.now();
        let mine = self.replicas[r].term;
        // Raft refuses an older term outright; so does failover with fencing. Naive failover
        // follows whoever claims to be primary.
        let fenced = !self.failover() || self.spec.fencing;
        if term < mine && (fenced || self.replicas[r].role == Role::Leader) {
            let reply = Msg::AppendReply {
                term: mine,
                from: r as u32,
                success: false,
                match_index: 0,
                round,
            };
            self.send(ctx, Dest::Replica(r as u32), Dest::Replica(leader), reply);
            return;
        }
        self.follow(now, r, term.max(mine), Some(leader));
        self.replicas[r].last_heard = now;
        self.arm_election(ctx, r);
        let rep = &mut self.replicas[r];
        let ok = prev_index <= rep.last_index() && rep.term_at(prev_index) == prev_term;
        let match_index = if ok {
            rep.merge(prev_index, entries);
            let last_new = prev_index + entries.len() as u64;
            if commit > rep.commit {
                rep.commit = commit.min(last_new);
            }
            last_new
        } else {
            // Where to look next: the end of its log, or before the conflicting entry.
            rep.last_index().min(prev_index.saturating_sub(1))
        };
        let ttl = self.spec.idempotency_ttl;
        self.replicas[r].apply(now, ttl);
        self.note_applied(now, r);
        let reply = Msg::AppendReply {
            term: self.replicas[r].term,
            from: r as u32,
            success: ok,
            match_index,
            round,
        };
        self.send(ctx, Dest::Replica(r as u32), Dest::Replica(leader), reply);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_reply(
        &mut self,
        ctx: &mut Context<Event>,
        r: usize,
        term: u64,
        from: usize,
        success: bool,
        match_index: u64,
        round: u64,
    ) {
        let now = ctx.now();
        if term > self.replicas[r].term {
            self.follow(now, r, term, None);
            self.arm_election(ctx, r);
            return;
        }
        let rep = &mut self.replicas[r];
        if rep.role != Role::Leader || term != rep.term {
            return;
        }
        self.extend_lease_ack(r, round, from);
        let rep = &mut self.replicas[r];
        if success {
            rep.match_index[from] = rep.match_index[from].max(match_index);
            rep.next_index[from] = rep.match_index[from] + 1;
            self.advance_commit(ctx, r);
            let rep = &self.replicas[r];
            // More to send, and nothing newer already on its way: send the next batch.
            if rep.next_index[from] <= rep.last_index() && rep.sent_upto[from] <= match_index {
                self.send_append(ctx, r, from);
            }
        } else {
            rep.next_index[from] = (match_index + 1)
                .min(rep.next_index[from].saturating_sub(1))
                .max(1);
            self.send_append(ctx, r, from);
        }
    }

    fn extend_lease_ack(&mut self, r: usize, round: u64, from: usize) {
        let rep = &mut self.replicas[r];
        if let Some(e) = rep.round_start.iter_mut().find(|e| e.0 == round) {
            e.2 |= 1 << from;
        }
        self.extend_lease(r, round);
    }

    /// A majority acknowledged `round`: the lease holds until its start + ttl - margin.
    fn extend_lease(&mut self, r: usize, round: u64) {
        let Some((ttl, margin)) = self.lease() else {
            return;
        };
        let majority = self.majority();
        let rep = &mut self.replicas[r];
        if let Some(&(_, start, acks)) = rep.round_start.iter().find(|e| e.0 == round) {
            if acks.count_ones() as usize >= majority {
                let until = start + ttl.as_nanos() as i64 - margin.as_nanos() as i64;
                rep.lease_until = rep.lease_until.max(until);
            }
        }
    }

    /// Moves the leader's commit index as far as its replication mode allows, applies, and
    /// answers the clients whose operations are now done.
    pub(crate) fn advance_commit(&mut self, ctx: &mut Context<Event>, r: usize) {
        let now = ctx.now();
        let n = self.n();
        let needed = match self.spec.replication {
            Replication::Async => 1,
            Replication::Quorum => self
                .spec
                .write_quorum
                .map_or(self.majority(), |q| q as usize),
            Replication::All => n,
        };
        let raft = !self.failover();
        let rep = &mut self.replicas[r];
        rep.match_index[r] = rep.last_index();
        let mut best = rep.commit;
        for index in (rep.commit + 1..=rep.last_index()).rev() {
            // Raft commits only entries of the leader's own term by counting replicas.
            if raft && rep.term_at(index) != rep.term {
                break;
            }
            if rep.match_index.iter().filter(|&&m| m >= index).count() >= needed {
                best = index;
                break;
            }
        }
        rep.commit = best;
        let ttl = self.spec.idempotency_ttl;
        let applied = rep.apply(now, ttl);
        self.note_applied(now, r);
        for (index, op, answer) in applied {
            let rep = &mut self.replicas[r];
            if let Some(k) = rep
                .waiting
                .iter()
                .position(|w| w.index == index && w.op.attempt == op.attempt)
            {
                rep.waiting.swap_remove(k);
                self.reply(ctx, r, op, answer);
            }
        }
    }

    /// The leader appends a client operation and replicates it; the client is answered when
    /// it commits.
    pub(crate) fn append_client(
        &mut self,
        ctx: &mut Context<Event>,
        r: usize,
        op: crate::message::ClientOp,
    ) {
        let rep = &mut self.replicas[r];
        let term = rep.term;
        rep.log.push(Entry {
            term,
            op: EntryOp::Client(op),
        });
        let index = rep.last_index();
        rep.waiting.push(Waiter { index, op });
        self.advance_commit(ctx, r);
        self.replicate(ctx, r, false);
    }

    /// Sends `answer` for `op` back to its process.
    pub(crate) fn reply(
        &mut self,
        ctx: &mut Context<Event>,
        r: usize,
        op: crate::message::ClientOp,
        answer: Answer,
    ) {
        let msg = Msg::Reply {
            process: op.process,
            attempt: op.attempt,
            answer,
        };
        self.send(ctx, Dest::Replica(r as u32), Dest::Process(op.process), msg);
    }
}
