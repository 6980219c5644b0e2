//! A replica serving client operations: a worker takes each from the queue for a drawn service
//! time, then the replica answers as its role, its read mode and its lease allow.

use crate::message::{Answer, ClientOp};
use crate::model::{Event, StoreModel};
use crate::replica::Role;
use crate::spec::Reads;
use sim_core::Context;
use sim_history::Call;

impl StoreModel {
    /// A client's request reaches replica `r`: it waits for a worker.
    pub(crate) fn request(&mut self, ctx: &mut Context<Event>, r: usize, op: ClientOp) {
        self.replicas[r].queue.push_back(op);
        self.start_work(ctx, r);
    }

    fn start_work(&mut self, ctx: &mut Context<Event>, r: usize) {
        let now = ctx.now();
        loop {
            let rep = &mut self.replicas[r];
            let Some(w) = rep.serving.iter().position(Option::is_none) else {
                return;
            };
            let Some(op) = rep.queue.pop_front() else {
                return;
            };
            // The lease is checked when the work starts; a pause before the answer leaves
            // the check stale, as a GC pause does in a real server.
            let local = rep.local(now);
            let lease_ok =
                rep.role == Role::Leader && local < rep.lease_until && local >= rep.serve_after;
            rep.serving[w] = Some((op, lease_ok));
            let gen = rep.worker_gen[w];
            let took = self.service.sample(&mut self.replicas[r].rng);
            ctx.schedule_in(
                took,
                Event::WorkDone {
                    replica: r as u32,
                    worker: w as u32,
                    gen,
                },
            );
        }
    }

    pub(crate) fn work_done(&mut self, ctx: &mut Context<Event>, r: usize, w: usize, gen: u32) {
        let rep = &mut self.replicas[r];
        if !rep.up || rep.worker_gen[w] != gen {
            return;
        }
        let Some((op, lease_ok)) = rep.serving[w].take() else {
            return;
        };
        self.execute(ctx, r, op, lease_ok);
        self.start_work(ctx, r);
    }

    fn execute(&mut self, ctx: &mut Context<Event>, r: usize, op: ClientOp, lease_ok: bool) {
        let now = ctx.now();
        let rep = &self.replicas[r];
        let local_value = rep.values[op.key as usize];
        if op.call == Call::Read && self.spec.reads == Reads::Any {
            self.reply(ctx, r, op, Answer::Ok(local_value));
            return;
        }
        if rep.role != Role::Leader {
            let hint = rep.leader.filter(|&l| l != r as u32);
            self.reply(ctx, r, op, Answer::NotLeader(hint));
            return;
        }
        if rep.local(now) < rep.serve_after {
            self.reply(ctx, r, op, Answer::Unavailable);
            return;
        }
        let local_read = op.call == Call::Read
            && match self.spec.reads {
                Reads::Leader => true,
                Reads::Lease => lease_ok,
                Reads::Quorum | Reads::Any => false,
            };
        if local_read {
            self.reply(ctx, r, op, Answer::Ok(local_value));
        } else {
            self.append_client(ctx, r, op);
        }
    }
}
