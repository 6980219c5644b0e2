//! A lesson being watched: the simulation, its clock and playback, and the faults the user
//! added. Plain state with no drawing, so that it is tested without a window.
//!
//! The GUI is a client of the library: it builds the same `Simulation<World>` that
//! `faultline run` builds, with an [`Animator`] watching, and drives
//! it with `run_until`. A fault button is `inject_fault` at the current clock, and the fault
//! is appended to the session's scenario too, so that the scenario replays what was seen.

use crate::animator::Animator;
use crate::lesson::Lesson;
use crate::timeline::Timeline;
use sim_core::{SimDuration, SimTime, Simulation};
use sim_models::{
    finish, inject_fault, load_scenario_str, policy::PolicyRegistry, simulation_observed,
    FaultSpec, Report, Scenario, World,
};
use std::sync::mpsc::{channel, Receiver};

/// Events one frame may simulate at most, so that the UI stays responsive at any speed: the
/// clock then falls behind the requested speed instead of the frame taking longer.
pub const EVENTS_PER_FRAME: u64 = 200_000;

/// Events simulated between two looks at the clock on the wall while playing.
const EVENTS_PER_SLICE: u64 = 5_000;

/// The wall-clock time a frame may spend simulating, leaving the rest of a 60 frames/s frame
/// for drawing.
pub const FRAME_BUDGET: std::time::Duration = std::time::Duration::from_millis(8);

/// The slowest and fastest playback, in simulated seconds per real second.
pub const SPEEDS: (f64, f64) = (0.1, 10_000.0);

/// How long a message dot takes to cross its edge, in real seconds (or its network travel
/// time, if longer in playback).
pub const FLIGHT_SECONDS: f64 = 0.5;

/// Dots of one kind an edge shows at once, about: the animator samples one every
/// `FLIGHT_SECONDS × speed / DOTS_PER_EDGE` simulated seconds.
pub const DOTS_PER_EDGE: u64 = 16;

/// A lesson's simulation and how it is being played.
pub struct Session {
    /// The lesson.
    pub lesson: Lesson,
    /// The scenario as run: the lesson's, with the faults the user added appended.
    pub scenario: Scenario,
    /// The seed of this run.
    pub seed: u64,
    sim: Simulation<World<Animator>>,
    /// Whether the clock runs.
    pub playing: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Which kinds of message dot the topology draws, by [`Tint`](crate::animator::Tint).
    pub shown: [bool; crate::animator::Tint::COUNT],
    /// Faults the user added, in order (also in `scenario.faults`).
    pub added: Vec<FaultSpec>,
    /// Simulated seconds per real second over the last frame that ran, and events per second.
    pub rate: (f64, f64),
    /// The overrides (`PATH=VALUE`) applied to the lesson's scenario: the moved knobs.
    pub sets: Vec<String>,
    /// A re-run in progress on a background thread, if any.
    pending: Option<Pending>,
    /// Checkpoints of the run, to go back to.
    timeline: Timeline,
}

/// A re-run on a background thread: what it will deliver, and whether to play on after.
struct Pending {
    result: Receiver<Result<Rerun, String>>,
    sets: Vec<String>,
    resume: bool,
}

/// What a re-run delivers: the new scenario's run, at the clock the old one was at, with its
/// checkpoints.
struct Rerun {
    scenario: Scenario,
    sim: Simulation<World<Animator>>,
    timeline: Timeline,
}

impl Session {
    /// Opens `lesson` paused at t = 0, with `seed` (the scenario's own if `None`).
    pub fn open(lesson: Lesson, seed: Option<u64>) -> Result<Session, String> {
        let file = lesson.path.display().to_string();
        let loaded = load_scenario_str(&file, &lesson.source, &[]).map_err(|e| e.to_string())?;
        let scenario = loaded.scenario;
        let seed = seed.unwrap_or(scenario.seed);
        let sim = build(&scenario, seed)?;
        let timeline = Timeline::new(&sim, sim.end_time());
        Ok(Session {
            lesson,
            scenario,
            seed,
            sim,
            playing: false,
            speed: 1.0,
            shown: [true; crate::animator::Tint::COUNT],
            added: Vec::new(),
            rate: (0.0, 0.0),
            sets: Vec::new(),
            pending: None,
            timeline,
        })
    }

    /// Re-simulates the lesson with overrides `sets` (and the faults the user added), with the
    /// same seed, from t = 0 to the current clock, on a background thread; [`poll`](Self::poll)
    /// installs it. The run pauses meanwhile and plays on after if it was playing.
    pub fn rerun(&mut self, sets: Vec<String>) {
        self.rerun_to(sets, self.now());
    }

    /// Like [`rerun`](Self::rerun), to clock `until` instead of the current one.
    pub fn rerun_to(&mut self, sets: Vec<String>, until: SimTime) {
        let (send, result) = channel();
        let (file, source) = (
            self.lesson.path.display().to_string(),
            self.lesson.source.clone(),
        );
        let (added, seed) = (self.added.clone(), self.seed);
        let faults = added.len();
        let thread_sets = sets.clone();
        std::thread::spawn(move || {
            let rerun = (|| {
                let loaded =
                    load_scenario_str(&file, &source, &thread_sets).map_err(|e| e.to_string())?;
                let mut scenario = loaded.scenario;
                scenario.faults.extend(added);
                let mut sim = build(&scenario, seed)?;
                let mut timeline = Timeline::new(&sim, sim.end_time());
                run_noting(&mut sim, &mut timeline, until, faults);
                Ok(Rerun {
                    scenario,
                    sim,
                    timeline,
                })
            })();
            // The session may have gone: nobody to tell then.
            let _ = send.send(rerun);
        });
        let resume = self.playing || self.pending.as_ref().is_some_and(|p| p.resume);
        self.playing = false;
        self.pending = Some(Pending {
            result,
            sets,
            resume,
        });
    }

    /// Whether a re-run is in progress.
    pub fn rerunning(&self) -> bool {
        self.pending.is_some()
    }

    /// Installs a finished re-run; returns whether one was installed, or the re-run's error
    /// (the overrides give a scenario that does not load).
    pub fn poll(&mut self) -> Result<bool, String> {
        let Some(p) = &self.pending else {
            return Ok(false);
        };
        let Ok(result) = p.result.try_recv() else {
            return Ok(false);
        };
        let p = self.pending.take().expect("checked above");
        let rerun = result?;
        self.scenario = rerun.scenario;
        self.sim = rerun.sim;
        self.timeline = rerun.timeline;
        self.sets = p.sets;
        self.playing = p.resume && !self.ended();
        Ok(true)
    }

    /// Waits for a re-run in progress to finish and installs it.
    pub fn wait(&mut self) -> Result<bool, String> {
        while self.rerunning() {
            if self.poll()? {
                return Ok(true);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        Ok(false)
    }

    /// The scenario as run, as scenario text: the lesson's file with the moved knobs spliced
    /// in and the added faults appended, comments kept. Running it with this session's seed
    /// replays exactly what was seen.
    pub fn scenario_text(&self) -> Result<String, String> {
        let mut sets = self.sets.clone();
        sets.push(format!("seed={}", self.seed));
        let before = self.scenario.faults.len() - self.added.len();
        for (k, fault) in self.added.iter().enumerate() {
            let ron = ron::to_string(fault).map_err(|e| e.to_string())?;
            sets.push(sim_models::append_set("faults", before + k, &ron));
        }
        let file = self.lesson.path.display().to_string();
        let loaded =
            load_scenario_str(&file, &self.lesson.source, &sets).map_err(|e| e.to_string())?;
        Ok(loaded.text)
    }

    /// Starts again from t = 0 with `seed`, keeping the faults the user added.
    pub fn restart(&mut self, seed: u64) -> Result<(), String> {
        self.sim = build(&self.scenario, seed)?;
        self.timeline = Timeline::new(&self.sim, self.sim.end_time());
        self.seed = seed;
        self.rate = (0.0, 0.0);
        Ok(())
    }

    /// The simulation.
    pub fn sim(&self) -> &Simulation<World<Animator>> {
        &self.sim
    }

    /// The system now.
    pub fn world(&self) -> &World<Animator> {
        self.sim.model()
    }

    /// The simulated clock.
    pub fn now(&self) -> SimTime {
        self.sim.now()
    }

    /// When the run ends.
    pub fn end(&self) -> SimTime {
        self.sim.end_time()
    }

    /// Whether the run has reached its end (or a limit).
    pub fn ended(&self) -> bool {
        self.sim.stop_reason().is_some()
    }

    /// Advances the clock by `real_seconds` of playback at the current speed, if playing,
    /// simulating at most [`EVENTS_PER_FRAME`] events.
    pub fn advance(&mut self, real_seconds: f64) {
        if !self.playing || self.ended() {
            return;
        }
        let (start, events) = (self.now(), self.sim.events());
        self.sim.model_mut().observer_mut().gap = dot_gap(self.speed);
        let target = start + SimDuration::from_secs_f64(self.speed * real_seconds.max(0.0));
        let target = target.min(self.end());
        // In slices, so that a frame stops simulating once its time budget is spent: where
        // the clock lands depends on the machine, what happens at each instant does not.
        let began = std::time::Instant::now();
        while self.now() < target && !self.ended() {
            let budget = EVENTS_PER_FRAME - (self.sim.events() - events);
            if budget == 0 || began.elapsed() >= FRAME_BUDGET {
                break;
            }
            if self
                .sim
                .run_until_within(target, budget.min(EVENTS_PER_SLICE))
            {
                break;
            }
        }
        self.timeline.note(&self.sim, self.added.len());
        if real_seconds > 0.0 {
            self.rate = (
                (self.now() - start).as_secs_f64() / real_seconds,
                (self.sim.events() - events) as f64 / real_seconds,
            );
        }
        if self.ended() {
            self.playing = false;
        }
    }

    /// How long, in simulated time, a dot takes to cross its edge at the current speed
    /// (at least its network travel time).
    pub fn flight_time(&self) -> SimDuration {
        flight_time(self.speed)
    }

    /// Processes the next event.
    pub fn step_event(&mut self) {
        self.sim.step();
        self.timeline.note(&self.sim, self.added.len());
    }

    /// Advances the clock by `by` (however many events that takes).
    pub fn step_by(&mut self, by: SimDuration) {
        let target = (self.now() + by).min(self.end());
        run_noting(&mut self.sim, &mut self.timeline, target, self.added.len());
    }

    /// Runs to the end.
    pub fn run_to_end(&mut self) {
        let end = self.end();
        run_noting(&mut self.sim, &mut self.timeline, end, self.added.len());
        self.sim.run();
        self.playing = false;
    }

    /// Moves the clock to `t`: forward by running, back by taking the last checkpoint before
    /// `t` (with the faults the user added after it put back) and running from there. The run
    /// at `t` is exactly what it was when the clock first passed `t`, apart from faults added
    /// since, which stay part of the scenario.
    pub fn seek(&mut self, t: SimTime) -> Result<(), String> {
        let t = t.min(self.end());
        if t < self.now() {
            let (mut sim, held) = self.timeline.before(t);
            let base = self.scenario.faults.len() - self.added.len();
            for (k, fault) in self.added.iter().enumerate().skip(held) {
                let mut built = self.scenario.clone();
                built.faults.truncate(base + k);
                inject_fault(&mut sim, &built, fault.clone()).map_err(|e| e.to_string())?;
            }
            self.sim = sim;
        }
        run_noting(&mut self.sim, &mut self.timeline, t, self.added.len());
        Ok(())
    }

    /// The checkpoints of the run.
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Crashes instance `instance` of service `service` now; it stays down unless
    /// `restart_after` is given.
    pub fn crash(
        &mut self,
        service: &str,
        instance: u32,
        restart_after: Option<SimDuration>,
    ) -> Result<(), String> {
        self.add_fault(FaultSpec::Crash {
            service: service.to_string(),
            instance: Some(instance),
            at: self.clock(),
            restart_after,
        })
    }

    /// Slows `service` down `factor` times for `duration`, from now.
    pub fn slow_down(
        &mut self,
        service: &str,
        factor: f64,
        duration: SimDuration,
    ) -> Result<(), String> {
        self.add_fault(FaultSpec::Slowdown {
            service: service.to_string(),
            start: self.clock(),
            duration,
            factor,
        })
    }

    /// Cuts the network between places `a` and `b` (zones, clients, services or
    /// `service#i`) from now until [`heal`](Self::heal), or the end of the run.
    pub fn partition(&mut self, a: &str, b: &str) -> Result<(), String> {
        let rest = self.end() - self.now();
        if rest == SimDuration::ZERO {
            return Err("the run has ended: nothing left to partition".into());
        }
        self.add_fault(FaultSpec::Partition {
            a: vec![a.to_string()],
            b: vec![b.to_string()],
            one_way: false,
            start: self.clock(),
            duration: rest,
            hold: false,
        })
    }

    /// Heals now every partition the user added that is in force: each ends at the current
    /// clock (one added this very instant is dropped). The run is re-simulated from t = 0 to
    /// now with the shortened partitions, like a moved knob, so that the scenario still
    /// replays what was seen. Returns how many partitions were healed.
    pub fn heal(&mut self) -> usize {
        let now = self.clock();
        let mut healed = 0;
        self.added.retain_mut(|f| {
            let (start, end) = f.window();
            let FaultSpec::Partition { duration, .. } = f else {
                return true;
            };
            if start > now || end.is_some_and(|end| end <= now) {
                return true;
            }
            healed += 1;
            *duration = SimDuration(now.0 - start.0);
            *duration > SimDuration::ZERO
        });
        if healed == 0 {
            return 0;
        }
        let sets = match &self.pending {
            Some(p) => p.sets.clone(),
            None => self.sets.clone(),
        };
        self.rerun(sets);
        healed
    }

    /// The override that makes client `client` send `factor` times its base rate for
    /// `duration` from now (a load spike): appended to the client's rate schedule. The caller
    /// re-runs with it, so that arrivals already drawn are drawn as the saved scenario will.
    pub fn spike_set(
        &self,
        client: &str,
        factor: f64,
        duration: SimDuration,
    ) -> Result<String, String> {
        let Some(sim_models::ClientSpec::Open { rate, schedule, .. }) =
            self.scenario.clients.get(client)
        else {
            return Err(format!(
                "clients.{client}: only an open-loop client's rate can spike"
            ));
        };
        let spike = format!(
            "Spike(start: \"{}\", duration: \"{duration}\", rate: {})",
            self.clock(),
            rate.per_second() * factor
        );
        Ok(sim_models::append_set(
            &format!("clients.{client}.schedule"),
            schedule.len(),
            &spike,
        ))
    }

    /// The clock as a duration from the start: when an added fault starts.
    fn clock(&self) -> SimDuration {
        SimDuration(self.now().0)
    }

    /// Adds `fault` to the running simulation and to the scenario.
    fn add_fault(&mut self, fault: FaultSpec) -> Result<(), String> {
        inject_fault(&mut self.sim, &self.scenario, fault.clone()).map_err(|e| e.to_string())?;
        self.scenario.faults.push(fault.clone());
        self.added.push(fault);
        // Checkpoints after now lack the fault: the future has changed.
        self.timeline.truncate_after(self.now());
        Ok(())
    }

    /// The report of the run so far, as `faultline run` would print it if it stopped now.
    pub fn report(&self) -> Report {
        finish(self.sim.clone(), &self.scenario, self.seed).report
    }
}

/// Runs `sim` to `until`, keeping a checkpoint in `timeline` every so often (its runs hold
/// `faults` of the user's faults).
fn run_noting(
    sim: &mut Simulation<World<Animator>>,
    timeline: &mut Timeline,
    until: SimTime,
    faults: usize,
) {
    while sim.now() < until && sim.stop_reason().is_none() {
        let next = (sim.now() + timeline.every()).min(until);
        sim.run_until(next);
        timeline.note(sim, faults);
    }
}

/// How long, in simulated time, a dot takes to cross its edge at `speed`.
fn flight_time(speed: f64) -> SimDuration {
    SimDuration::from_secs_f64(FLIGHT_SECONDS * speed)
}

/// The least simulated time between two sampled dots of a kind on an edge at `speed`.
fn dot_gap(speed: f64) -> SimDuration {
    SimDuration(flight_time(speed).as_nanos() / DOTS_PER_EDGE)
}

/// The simulation of `scenario` with `seed`, watched by an animator.
fn build(scenario: &Scenario, seed: u64) -> Result<Simulation<World<Animator>>, String> {
    let mut animator = Animator::default();
    animator.gap = dot_gap(1.0);
    simulation_observed(scenario, seed, &PolicyRegistry::new(), animator).map_err(|p| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::bundled;
    use sim_models::EdgeId;
    use std::path::Path;

    fn lesson(name: &str) -> Lesson {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        bundled(&root).into_iter().find(|l| l.name == name).unwrap()
    }

    #[test]
    fn a_lesson_opens_paused_at_zero_and_plays_at_its_speed() {
        let mut s = Session::open(lesson("cascade"), None).unwrap();
        assert_eq!((s.now(), s.playing), (SimTime::ZERO, false));
        s.advance(1.0);
        assert_eq!(s.now(), SimTime::ZERO, "paused: the clock does not move");
        s.playing = true;
        s.speed = 2.0;
        s.advance(0.5);
        assert_eq!(
            s.now(),
            SimTime(1_000_000_000),
            "0.5 s at 2× is one simulated second"
        );
    }

    #[test]
    fn a_rerun_with_a_moved_knob_reaches_the_same_clock_as_a_fresh_run_with_that_setting() {
        let mut s = Session::open(lesson("cascade"), Some(2)).unwrap();
        s.step_by(SimDuration::from_secs(30));
        s.crash("api", 0, Some(SimDuration::from_secs(5))).unwrap();
        s.step_by(SimDuration::from_secs(5));
        let sets = vec!["services.db.workers=32".to_string()];
        s.rerun(sets.clone());
        assert!(s.wait().unwrap(), "installed");
        assert_eq!(s.now(), SimTime(35_000_000_000));
        assert_eq!(s.scenario.services["db"].workers, 32);
        let db = s.world().services.iter().find(|x| x.name == "db").unwrap();
        assert_eq!(db.instances[0].workers, 32);
        // The saved scenario replays it: the same report as the session's at the end.
        s.run_to_end();
        let text = s.scenario_text().unwrap();
        assert!(
            text.contains("workers: 32") && text.contains("Crash("),
            "{text}"
        );
        assert!(text.starts_with("// A cascading failure"), "comments kept");
        let saved = load_scenario_str("saved.ron", &text, &[]).unwrap().scenario;
        assert_eq!(saved.seed, 2, "the seed is saved too");
        assert_eq!(
            serde_json::to_string(&sim_models::run(&saved, saved.seed).unwrap().report).unwrap(),
            serde_json::to_string(&s.report()).unwrap()
        );
        // Overrides that do not load leave the run as it was, with the reason.
        s.rerun(vec!["services.db.workers=0".to_string()]);
        let err = s.wait().unwrap_err();
        assert!(err.contains("workers"), "{err}");
        assert_eq!(s.scenario.services["db"].workers, 32);
    }

    #[test]
    fn going_back_on_the_timeline_gives_the_run_as_it_was_with_the_added_faults_kept() {
        let report_at = |s: &Session| serde_json::to_string(&s.report()).unwrap();
        let mut s = Session::open(lesson("cascade"), Some(4)).unwrap();
        s.step_by(SimDuration::from_secs(39));
        let at_39 = report_at(&s);
        s.step_by(SimDuration::from_secs(1));
        s.crash("db", 0, Some(SimDuration::from_secs(3))).unwrap();
        s.step_by(SimDuration::from_secs(50));
        assert!(s.timeline().len() > 10, "{}", s.timeline().len());
        s.seek(SimTime(39_000_000_000)).unwrap();
        assert_eq!(s.now(), SimTime(39_000_000_000));
        assert_eq!(report_at(&s), at_39, "back at 39 s: the run as it was");
        s.seek(SimTime(12_345_000_000)).unwrap();
        assert_eq!(s.now(), SimTime(12_345_000_000));
        // Forward to the end: the crash added at 40 s still happens.
        s.run_to_end();
        let replay = sim_models::run(&s.scenario, 4).unwrap().report;
        assert_eq!(report_at(&s), serde_json::to_string(&replay).unwrap());
    }

    #[test]
    fn playing_puts_requests_and_their_outcomes_on_the_edges_they_travel() {
        use crate::animator::Tint;
        let mut s = Session::open(lesson("cascade"), Some(1)).unwrap();
        s.step_by(SimDuration::from_secs(5));
        s.playing = true;
        for _ in 0..30 {
            s.advance(1.0 / 60.0);
        }
        let world = s.world();
        let users = EdgeId::new(world.edges.iter().position(|e| e.from == "users").unwrap());
        let flights = &world.observer().flights;
        let on_screen: Vec<_> = crate::topology::on_screen(&s).map(|(f, _)| f).collect();
        for tint in [Tint::Request, Tint::Ok] {
            assert!(
                on_screen.iter().any(|f| f.edge == users && f.tint == tint),
                "{tint:?} dots on users -> frontend: {flights:?}"
            );
        }
        // About DOTS_PER_EDGE of a tint per edge at once, whatever the speed.
        let requests = on_screen
            .iter()
            .filter(|f| f.edge == users && f.tint == Tint::Request)
            .count();
        assert!((8..=24).contains(&requests), "{requests}");
        // A kind hidden is not drawn; the others still are.
        s.shown[Tint::Request as usize] = false;
        assert!(crate::topology::on_screen(&s).all(|(f, _)| f.tint != Tint::Request));
        assert!(crate::topology::on_screen(&s).any(|(f, _)| f.tint == Tint::Ok));
    }

    #[test]
    fn a_partition_added_now_loses_messages_until_healed_and_the_scenario_replays_it() {
        let report_at = |s: &Session| serde_json::to_string(&s.report()).unwrap();
        let mut s = Session::open(lesson("cascade"), Some(5)).unwrap();
        s.step_by(SimDuration::from_secs(20));
        s.partition("api", "db").unwrap();
        s.step_by(SimDuration::from_secs(5));
        assert!(s.world().network.stats.lost > 0, "api and db cannot talk");
        // The report but its event count: the re-run has also processed the heal, at now.
        let figures = |s: &Session| {
            let mut r = s.report();
            r.events = 0;
            serde_json::to_string(&r).unwrap()
        };
        let before = figures(&s);
        assert_eq!(s.heal(), 1);
        s.wait().unwrap();
        assert_eq!(s.now(), SimTime(25_000_000_000));
        assert_eq!(figures(&s), before, "healing changes nothing before now");
        assert!(matches!(
            s.scenario.faults.last(),
            Some(FaultSpec::Partition { start, duration, .. })
                if *start == SimDuration::from_secs(20) && *duration == SimDuration::from_secs(5)
        ));
        let lost = s.world().network.stats.lost;
        s.step_by(SimDuration::from_secs(5));
        assert_eq!(
            s.world().network.stats.lost,
            lost,
            "healed: nothing more lost"
        );
        assert_eq!(s.heal(), 0, "nothing left to heal");
        // Places the scenario does not have are refused with the reason.
        let err = s.partition("api", "nowhere").unwrap_err();
        assert!(err.contains("nowhere"), "{err}");
        s.run_to_end();
        let replay = sim_models::run(&s.scenario, 5).unwrap().report;
        assert_eq!(report_at(&s), serde_json::to_string(&replay).unwrap());
    }

    #[test]
    fn a_load_spike_is_an_override_that_the_rerun_and_the_saved_scenario_share() {
        let mut s = Session::open(lesson("cascade"), Some(6)).unwrap();
        s.step_by(SimDuration::from_secs(10));
        let set = s
            .spike_set("users", 3.0, SimDuration::from_secs(5))
            .unwrap();
        assert_eq!(
            set,
            r#"clients.users.schedule=[Spike(start: "10s", duration: "5s", rate: 600)]"#
        );
        s.rerun(vec![set]);
        s.wait().unwrap();
        let sent = |s: &Session| s.world().totals.sent;
        let at_10 = sent(&s);
        s.step_by(SimDuration::from_secs(5));
        let spiked = sent(&s) - at_10;
        assert!(
            (2600..3400).contains(&spiked),
            "about 600/s for 5 s: {spiked}"
        );
        s.run_to_end();
        let text = s.scenario_text().unwrap();
        let saved = load_scenario_str("saved.ron", &text, &[]).unwrap().scenario;
        assert_eq!(
            serde_json::to_string(&sim_models::run(&saved, 6).unwrap().report).unwrap(),
            serde_json::to_string(&s.report()).unwrap()
        );
        let err = s
            .spike_set("nobody", 3.0, SimDuration::from_secs(5))
            .unwrap_err();
        assert!(err.contains("clients.nobody"), "{err}");
    }

    #[test]
    fn a_frame_simulates_a_bounded_number_of_events_at_any_speed() {
        let mut s = Session::open(lesson("cascade"), None).unwrap();
        s.playing = true;
        s.speed = SPEEDS.1;
        s.advance(1.0);
        assert!(s.sim().events() <= EVENTS_PER_FRAME, "{}", s.sim().events());
        assert!(s.now() < s.end(), "the clock falls behind instead");
    }

    #[test]
    fn watching_changes_no_result_and_a_crash_is_part_of_the_scenario() {
        let mut s = Session::open(lesson("faults/instance-crash"), Some(3)).unwrap();
        s.run_to_end();
        let plain = sim_models::run(&s.scenario, 3).unwrap().report;
        assert_eq!(
            serde_json::to_string(&s.report()).unwrap(),
            serde_json::to_string(&plain).unwrap(),
            "the report with the GUI's observer is the plain run's"
        );
        // A crash added at 10 s: the instance is down at once, and the scenario replays it.
        let mut s = Session::open(lesson("cascade"), Some(3)).unwrap();
        s.step_by(SimDuration::from_secs(10));
        s.crash("api", 1, None).unwrap();
        s.step_event();
        let api = s.world().services.iter().find(|x| x.name == "api").unwrap();
        assert!(!api.instances[1].up, "crashed");
        assert!(matches!(
            s.scenario.faults.last(),
            Some(FaultSpec::Crash { at, .. }) if *at == SimDuration::from_secs(10)
        ));
        s.run_to_end();
        let replayed = sim_models::run(&s.scenario, 3).unwrap().report;
        assert_eq!(
            serde_json::to_string(&s.report()).unwrap(),
            serde_json::to_string(&replayed).unwrap(),
            "the scenario with the added fault replays exactly what was seen"
        );
    }
}
