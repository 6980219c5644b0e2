//! The window: a lesson picker and playback controls on top, the lesson and the fault buttons
//! on the left, the topology and the charts in the middle, a status bar at the bottom.
//!
//! Every control has an accessible name (its label), which is how tests find it.

use crate::charts::Lines;
use crate::compare::Compare;
use crate::knobs::{self, Knob};
use crate::lesson::Lesson;
use crate::session::{Session, SPEEDS};
use crate::text::printable;
use crate::{charts, topology};
use egui::{Panel, RichText};
use sim_core::SimDuration;

/// The application's state.
pub struct FaultlineApp {
    /// The lessons to pick from.
    pub lessons: Vec<Lesson>,
    /// The lesson open, if any.
    pub session: Option<Session>,
    /// The last error to show (a fault the scenario refuses, a lesson that does not load).
    pub error: Option<String>,
    seed_text: String,
    /// The service (by index) and instance the fault buttons act on.
    pub target: (usize, u32),
    /// How many random seeds have been drawn: the next one derives from it.
    draws: u64,
    /// A slider per number of the lesson's scenario.
    pub knobs: Vec<Knob>,
    /// The charts' lines before the last re-run, drawn faded.
    pub ghost: Option<[Lines; 6]>,
    /// Where "Save scenario" writes.
    pub save_dir: std::path::PathBuf,
    /// What the last save did.
    pub saved: Option<String>,
    /// The timeline slider's value while it is dragged, in seconds.
    scrub: Option<f64>,
    /// Policies and load spikes added with one click, as overrides (applied after the knobs).
    pub added_policies: Vec<String>,
    /// The two places (indices into [`places`]) the partition button cuts apart.
    pub sides: (usize, usize),
    /// Variant B, while comparing.
    pub compare: Option<Compare>,
}

/// The places a partition can cut apart: the scenario's zones, clients and services.
pub fn places(session: &Session) -> Vec<String> {
    let mut all: Vec<String> = session.world().zones.clone();
    all.extend(session.scenario.clients.keys().cloned());
    all.extend(session.scenario.services.keys().cloned());
    all
}

impl FaultlineApp {
    /// An app over `lessons`, with `open` open (paused at t = 0) if given.
    pub fn new(lessons: Vec<Lesson>, open: Option<Lesson>) -> FaultlineApp {
        let mut app = FaultlineApp {
            lessons,
            session: None,
            error: None,
            seed_text: String::new(),
            target: (0, 0),
            draws: 0,
            knobs: Vec::new(),
            ghost: None,
            save_dir: std::path::PathBuf::from("."),
            saved: None,
            scrub: None,
            added_policies: Vec::new(),
            sides: (0, 1),
            compare: None,
        };
        if let Some(lesson) = open {
            app.open(lesson);
        }
        app
    }

    /// Opens `lesson`, paused at t = 0 with its scenario's seed.
    pub fn open(&mut self, lesson: Lesson) {
        match Session::open(lesson, None) {
            Ok(s) => {
                self.seed_text = s.seed.to_string();
                self.target = (0, 0);
                self.knobs = knobs::knobs(&s.lesson.source);
                self.added_policies.clear();
                self.ghost = None;
                self.saved = None;
                self.compare = None;
                self.session = Some(s);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Draws the whole window into `ui` and advances a playing run by the frame's time.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let dt = ui.input(|i| i.stable_dt).clamp(0.0, 0.1) as f64;
        if let Some(s) = &mut self.session {
            if let Err(e) = s.poll() {
                self.error = Some(e);
            }
            if s.rerunning() {
                ui.ctx().request_repaint();
            }
            s.advance(dt);
            if s.playing {
                ui.ctx().request_repaint();
            }
            if let Some(c) = &mut self.compare {
                match c.follow(s) {
                    Ok(true) => {}
                    Ok(false) => ui.ctx().request_repaint(),
                    Err(e) => self.error = Some(format!("B: {e}")),
                }
            }
        }
        Panel::top("controls").show(ui, |ui| {
            self.controls(ui);
            self.timeline(ui);
        });
        Panel::bottom("status").show(ui, |ui| self.status(ui));
        Panel::left("lesson")
            .default_size(300.0)
            .show(ui, |ui| self.lesson_panel(ui));
        egui::CentralPanel::default().show(ui, |ui| match &mut self.session {
            Some(s) if self.compare.is_some() => {
                crate::compare::show(ui, s, self.compare.as_ref().expect("matched"))
            }
            Some(s) => {
                let height = ui.available_height();
                ui.allocate_ui(egui::vec2(ui.available_width(), height * 0.45), |ui| {
                    topology::show(ui, s)
                });
                // Message kinds can be hidden, to follow one (say, the timeouts) in a crowd.
                ui.horizontal_wrapped(|ui| {
                    ui.label("Show dots:");
                    for tint in topology::TINTS {
                        ui.checkbox(&mut s.shown[tint as usize], tint.name());
                    }
                });
                ui.separator();
                charts::show(ui, s, self.ghost.as_ref());
            }
            None => {
                if let Some(lesson) = picker(ui, &self.lessons) {
                    self.open(lesson);
                }
            }
        });
    }

    fn controls(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            let current = self.session.as_ref().map(|s| s.lesson.name.clone());
            let mut pick = None;
            egui::ComboBox::from_label("Lesson")
                .selected_text(current.clone().unwrap_or_else(|| "choose".into()))
                .show_ui(ui, |ui| {
                    for (i, l) in self.lessons.iter().enumerate() {
                        if ui
                            .selectable_label(current.as_deref() == Some(&l.name), &l.name)
                            .clicked()
                        {
                            pick = Some(i);
                        }
                    }
                });
            if let Some(i) = pick {
                self.open(self.lessons[i].clone());
            }
            let Some(s) = &mut self.session else {
                return;
            };
            ui.separator();
            let play = if s.playing { "Pause" } else { "Play" };
            let space = ui.input(|i| i.key_pressed(egui::Key::Space));
            if ui.button(play).clicked() || space {
                s.playing = !s.playing && !s.ended();
            }
            if ui.button("Step event").clicked() {
                s.step_event();
            }
            if ui.button("Step 100 ms").clicked() {
                s.step_by(SimDuration::from_millis(100));
            }
            if ui.button("Run to end").clicked() {
                s.run_to_end();
            }
            ui.add(
                egui::Slider::new(&mut s.speed, SPEEDS.0..=SPEEDS.1)
                    .logarithmic(true)
                    .suffix("x")
                    .text("Speed"),
            );
            ui.separator();
            let seed_label = ui.label("Seed");
            ui.add(egui::TextEdit::singleline(&mut self.seed_text).desired_width(90.0))
                .labelled_by(seed_label.id);
            let mut restart = ui.button("Restart").clicked();
            if ui.button("Random seed").clicked() {
                self.draws += 1;
                // A new seed each click, reproducible from the click count.
                let mixed =
                    (s.seed ^ self.draws.wrapping_mul(0x9e37_79b9_7f4a_7c15)) % 1_000_000_007;
                self.seed_text = (mixed + 1).to_string();
                restart = true;
            }
            if restart {
                match self.seed_text.trim().parse::<u64>() {
                    Ok(seed) => {
                        let mut result = s.restart(seed);
                        if let (Ok(()), Some(c)) = (&result, &mut self.compare) {
                            result = c.b.restart(seed);
                        }
                        if let Err(e) = result {
                            self.error = Some(e);
                        }
                    }
                    Err(_) => {
                        self.error =
                            Some(format!("seed `{}` is not a whole number", self.seed_text))
                    }
                }
            }
        });
    }

    /// The timeline: drag it back to replay from any moment (from the run's checkpoints), or
    /// forward to run ahead.
    fn timeline(&mut self, ui: &mut egui::Ui) {
        let Some(s) = &mut self.session else {
            return;
        };
        let end = s.end().as_secs_f64();
        let mut t = self.scrub.unwrap_or(s.now().as_secs_f64());
        ui.spacing_mut().slider_width = (ui.available_width() - 140.0).max(100.0);
        let r = ui.add(
            egui::Slider::new(&mut t, 0.0..=end)
                .text("Time")
                .suffix(" s")
                // Shown to a tenth, but not rounded: a rounded value would read as a move and
                // pull the clock back to it every frame.
                .custom_formatter(|v, _| format!("{v:.1}")),
        );
        if r.dragged() {
            self.scrub = Some(t);
        }
        if r.drag_stopped() || (r.changed() && !r.dragged()) {
            self.scrub = None;
            if let Err(e) = s.seek(sim_core::SimTime((t * 1e9) as u64)) {
                self.error = Some(e);
            }
        }
    }

    fn status(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| match &self.session {
            Some(s) => {
                ui.label(format!(
                    "t = {:.3} s of {:.0} s",
                    s.now().as_secs_f64(),
                    s.end().as_secs_f64()
                ));
                ui.separator();
                ui.label(format!("{} events", s.sim().events()));
                ui.separator();
                ui.label(format!(
                    "{:.2} simulated s/s, {:.2} M events/s",
                    s.rate.0,
                    s.rate.1 / 1e6
                ));
                if s.ended() {
                    ui.separator();
                    ui.label("ended");
                }
                if let Some(e) = &self.error {
                    ui.separator();
                    ui.colored_label(egui::Color32::RED, e);
                }
            }
            None => {
                if let Some(e) = &self.error {
                    ui.colored_label(egui::Color32::RED, e);
                }
            }
        });
    }

    fn lesson_panel(&mut self, ui: &mut egui::Ui) {
        let Some(s) = &mut self.session else {
            return;
        };
        egui::ScrollArea::vertical().show(ui, |ui| {
            let ctx = ui.ctx().clone();
            ui.heading(&s.lesson.name);
            ui.label(printable(&ctx, &s.lesson.text));
            if !s.lesson.look_for.is_empty() {
                ui.add_space(6.0);
                ui.label(RichText::new("What to look for").strong());
                for point in &s.lesson.look_for {
                    ui.label(format!("- {}", printable(&ctx, point)));
                }
            }
            ui.add_space(8.0);
            ui.separator();
            ui.label(RichText::new("Faults").strong());
            let services: Vec<(String, u32)> = s
                .world()
                .services
                .iter()
                .map(|x| (x.name.clone(), x.instances.len() as u32))
                .collect();
            let (mut svc, mut inst) = self.target;
            svc = svc.min(services.len().saturating_sub(1));
            egui::ComboBox::from_label("Service")
                .selected_text(services.get(svc).map_or("", |x| x.0.as_str()))
                .show_ui(ui, |ui| {
                    for (i, (name, _)) in services.iter().enumerate() {
                        ui.selectable_value(&mut svc, i, name);
                    }
                });
            let count = services.get(svc).map_or(1, |x| x.1);
            inst = inst.min(count - 1);
            ui.add(egui::Slider::new(&mut inst, 0..=count - 1).text("Instance"));
            self.target = (svc, inst);
            let name = services.get(svc).map(|x| x.0.clone()).unwrap_or_default();
            let mut action = None;
            ui.horizontal_wrapped(|ui| {
                if ui.button("Crash instance").clicked() {
                    action = Some(FaultAction::Crash(name.clone(), inst, None));
                }
                if ui.button("Crash for 10 s").clicked() {
                    let back = Some(SimDuration::from_secs(10));
                    action = Some(FaultAction::Crash(name.clone(), inst, back));
                }
                if ui.button("Slow service x5 for 10 s").clicked() {
                    action = Some(FaultAction::Slow(name.clone()));
                }
            });
            let places = places(s);
            let (mut a, mut b) = self.sides;
            // Named "one side" and "other side", not A and B: those are the compared variants.
            for (side, label) in [(&mut a, "One side"), (&mut b, "Other side")] {
                *side = (*side).min(places.len().saturating_sub(1));
                egui::ComboBox::from_label(label)
                    .selected_text(places.get(*side).map_or("", String::as_str))
                    .show_ui(ui, |ui| {
                        for (i, place) in places.iter().enumerate() {
                            ui.selectable_value(side, i, place);
                        }
                    });
            }
            self.sides = (a, b);
            let mut respike = None;
            ui.horizontal_wrapped(|ui| {
                if let (Some(pa), Some(pb)) = (places.get(a), places.get(b)) {
                    if ui.button(format!("Partition {pa} | {pb}")).clicked() {
                        action = Some(FaultAction::Partition(pa.clone(), pb.clone()));
                    }
                }
                if ui.button("Heal partitions").clicked() && s.heal() == 0 {
                    self.error = Some("no partition added here is in force now".into());
                }
                let clients: Vec<String> = s.scenario.clients.keys().cloned().collect();
                for client in clients {
                    if ui
                        .button(format!("Load spike x3 on {client} for 10 s"))
                        .clicked()
                    {
                        match s.spike_set(&client, 3.0, SimDuration::from_secs(10)) {
                            Ok(set) => respike = Some(set),
                            Err(e) => self.error = Some(e),
                        }
                    }
                }
            });
            if let Some(action) = action {
                let mut result = action.apply(s);
                if let (Ok(()), Some(c)) = (&result, &mut self.compare) {
                    result = if c.b.now() == s.now() && !c.b.rerunning() {
                        action.apply(&mut c.b)
                    } else {
                        Err("added to A only: B is still catching up".into())
                    };
                }
                if let Err(e) = result {
                    self.error = Some(e);
                }
            }
            if let Some(set) = respike {
                self.added_policies.push(set);
                self.ghost = Some(rerun(s, &self.knobs, &self.added_policies));
            }
            ui.add_space(6.0);
            egui::CollapsingHeader::new("Policies")
                .default_open(true)
                .show(ui, |ui| {
                    let mut add = None;
                    let mut compare = None;
                    if self.compare.is_some() {
                        if ui.button("Stop comparing").clicked() {
                            self.compare = None;
                        }
                    } else if ui.button("Compare with an identical copy").clicked() {
                        compare = Some((Vec::new(), "no change".to_string()));
                    }
                    for site in crate::policies::call_sites(&s.scenario) {
                        ui.horizontal_wrapped(|ui| {
                            let kinds: Vec<&str> = site.policies.iter().map(|p| p.kind()).collect();
                            ui.label(format!(
                                "{}: {}",
                                site.label,
                                if kinds.is_empty() {
                                    "none".to_string()
                                } else {
                                    kinds.join(", ")
                                }
                            ));
                            let offers = [
                                (site.can_add_breaker(), crate::policies::BREAKER, "breaker"),
                                (
                                    site.can_add_budget(),
                                    crate::policies::BUDGET,
                                    "retry budget",
                                ),
                            ];
                            for (_, policy, what) in offers.into_iter().filter(|o| o.0) {
                                let on = &site.label;
                                if ui.button(format!("Add {what} on {on}")).clicked() {
                                    add = Some(site.add(policy));
                                }
                                if ui.button(format!("Compare with {what} on {on}")).clicked() {
                                    let label = format!("a {what} on {on}");
                                    compare = Some((vec![site.add(policy)], label));
                                }
                            }
                        });
                    }
                    if let Some((change, label)) = compare {
                        match Compare::start(s, change, &label) {
                            Ok(c) => self.compare = Some(c),
                            Err(e) => self.error = Some(e),
                        }
                    }
                    if let Some(set) = add {
                        self.added_policies.push(set);
                        self.ghost = Some(rerun(s, &self.knobs, &self.added_policies));
                    }
                });
            egui::CollapsingHeader::new("Settings")
                .default_open(true)
                .show(ui, |ui| {
                    let mut moved = false;
                    for k in &mut self.knobs {
                        let mut slider = egui::Slider::new(&mut k.value, k.range.0..=k.range.1)
                            .logarithmic(k.log)
                            .text(&k.field.path);
                        match k.field.kind {
                            sim_models::NumberKind::Integer => {
                                slider = slider.step_by(1.0).fixed_decimals(0);
                            }
                            sim_models::NumberKind::Duration => slider = slider.suffix(" s"),
                            sim_models::NumberKind::Real => {}
                        }
                        let r = ui.add(slider);
                        moved |= r.drag_stopped() || (r.changed() && !r.dragged());
                    }
                    if ui.button("Reset settings").clicked() {
                        for k in &mut self.knobs {
                            k.value = k.field.value;
                        }
                        moved = true;
                    }
                    if moved {
                        self.ghost = Some(rerun(s, &self.knobs, &self.added_policies));
                    }
                    if s.rerunning() {
                        ui.label("re-running the same seed...");
                    }
                });
            if ui.button("Save scenario").clicked() {
                self.saved = Some(match save(s, &self.save_dir) {
                    Ok(path) => format!("saved to {}", path.display()),
                    Err(e) => format!("not saved: {e}"),
                });
            }
            if let Some(saved) = &self.saved {
                ui.label(saved);
            }
            ui.add_space(6.0);
            ui.label(RichText::new("In the scenario").strong());
            for (i, f) in s.scenario.faults.iter().enumerate() {
                ui.label(format!("{i}: {}", crate::faults::describe(f)));
            }
            ui.add_space(6.0);
            ui.label(RichText::new("Events").strong());
            for (t, what) in s.world().observer().log.iter().rev().take(12) {
                let text = match what {
                    crate::animator::Happening::Fault { fault, started } => {
                        format!("fault {fault} {}", if *started { "starts" } else { "ends" })
                    }
                    crate::animator::Happening::Instance { at, up } => format!(
                        "{}/{} {}",
                        s.world().services[at.service.index()].name,
                        at.instance,
                        if *up { "up" } else { "down" }
                    ),
                };
                ui.label(format!("{:.3} s  {text}", t.as_secs_f64()));
            }
        });
    }
}

/// A fault button's action: applied to the run watched and, when comparing, to variant B.
enum FaultAction {
    /// Crash a service's instance, until the end or for a while.
    Crash(String, u32, Option<SimDuration>),
    /// Slow a service down five times for 10 s.
    Slow(String),
    /// Cut the network between two places until healed.
    Partition(String, String),
}

impl FaultAction {
    fn apply(&self, session: &mut Session) -> Result<(), String> {
        match self {
            FaultAction::Crash(service, i, back) => session.crash(service, *i, *back),
            FaultAction::Slow(service) => {
                session.slow_down(service, 5.0, SimDuration::from_secs(10))
            }
            FaultAction::Partition(a, b) => session.partition(a, b),
        }
    }
}

/// Re-runs `session` with the knobs' values and the added overrides; returns the charts'
/// lines before, to draw as ghosts.
fn rerun(session: &mut Session, knobs: &[Knob], added: &[String]) -> [Lines; 6] {
    let ghost = charts::lines(session);
    let mut sets = knobs::sets(knobs);
    sets.extend(added.iter().cloned());
    session.rerun(sets);
    ghost
}

/// The lesson picker: each lesson's name, its first sentence and an Open button; returns the
/// lesson chosen.
fn picker(ui: &mut egui::Ui, lessons: &[Lesson]) -> Option<Lesson> {
    let mut chosen = None;
    ui.heading("Lessons");
    ui.label("Every bundled scenario is a lesson. Open one: it starts paused at t = 0.");
    ui.add_space(8.0);
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("lessons")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                for lesson in lessons {
                    if ui.button(format!("Open {}", lesson.name)).clicked() {
                        chosen = Some(lesson.clone());
                    }
                    let first = lesson.text.split(". ").next().unwrap_or("");
                    ui.label(printable(ui.ctx(), first));
                    ui.end_row();
                }
            });
    });
    chosen
}

/// Writes `session`'s scenario as run (moved knobs, added faults, seed) into `dir`, named
/// after the lesson; returns the file's path.
pub fn save(session: &Session, dir: &std::path::Path) -> Result<std::path::PathBuf, String> {
    let text = session.scenario_text()?;
    let path = dir.join(format!(
        "{}-edited.ron",
        session.lesson.name.replace('/', "-")
    ));
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

impl eframe::App for FaultlineApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
