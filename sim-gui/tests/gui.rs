//! The GUI driven as a person would, headless (egui_kittest renders through wgpu on a CPU
//! renderer when a test takes a snapshot; the others need no renderer at all).

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use sim_gui::lesson::{bundled, Lesson};
use sim_gui::FaultlineApp;
use std::path::Path;

fn lessons() -> Vec<Lesson> {
    bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios"))
}

fn harness(open: &str) -> Harness<'static, FaultlineApp> {
    let lessons = lessons();
    let lesson = lessons.iter().find(|l| l.name == open).cloned();
    let app = FaultlineApp::new(lessons, lesson);
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, app: &mut FaultlineApp| app.show(ui), app)
}

#[test]
fn a_lesson_opens_paused_at_zero_with_its_text_and_points() {
    let mut h = harness("cascade");
    h.run_steps(2);
    h.get_by_label("Play");
    h.get_by_label_contains("t = 0.000 s of 180 s");
    h.get_by_label("What to look for");
    assert_eq!(h.state().session.as_ref().unwrap().now().0, 0);
}

#[test]
fn play_advances_the_clock_and_pause_stops_it() {
    let mut h = harness("cascade");
    h.get_by_label("Play").click();
    h.run_steps(60);
    let t = h.state().session.as_ref().unwrap().now().as_secs_f64();
    // 60 frames at 1x: about one simulated second (the first frames may not count whole).
    assert!((0.9..=1.01).contains(&t), "the clock moved at 1x: {t}");
    h.get_by_label("Pause").click();
    h.run_steps(1);
    let paused = h.state().session.as_ref().unwrap().now();
    h.run_steps(10);
    assert_eq!(h.state().session.as_ref().unwrap().now(), paused, "paused");
}

#[test]
fn crashing_an_instance_draws_it_down_and_puts_the_fault_in_the_scenario() {
    let mut h = harness("cascade");
    h.get_by_label("Step 100 ms").click();
    h.run_steps(2);
    h.get_by_label_contains("api/1: up");
    let api = h
        .state()
        .session
        .as_ref()
        .unwrap()
        .world()
        .services
        .iter()
        .position(|s| s.name == "api")
        .unwrap();
    h.state_mut().target = (api, 1);
    h.run_steps(1);
    h.get_by_label("Crash instance").click();
    h.run_steps(1);
    h.get_by_label("Step event").click();
    h.run_steps(2);
    h.get_by_label_contains("api/1: down");
    h.get_by_label_contains("crash api/1, from 0.100 s");
    let faults = &h.state().session.as_ref().unwrap().scenario.faults;
    assert!(
        matches!(faults.last(), Some(sim_models::FaultSpec::Crash { service, instance: Some(1), .. }) if service == "api")
    );
}

#[test]
fn the_main_screen_matches_its_snapshot() {
    let mut h = harness("cascade");
    advance(&mut h, 75);
    h.run_steps(3);
    let words = edge_words(&h, "api -> db: ");
    assert!(!words.contains("breaker"), "no breaker yet: {words}");
    h.get_by_label("timeout").click();
    h.run_steps(1);
    let s = h.state().session.as_ref().unwrap();
    assert!(
        !s.shown[sim_gui::animator::Tint::Timeout as usize],
        "timeouts hidden"
    );
    h.get_by_label("timeout").click();
    h.run_steps(1);
    h.snapshot("cascade_at_75s");
}

/// What the topology says of the edge whose words start with `edge` (its midpoint handle's
/// accessible name).
fn edge_words(h: &Harness<'static, FaultlineApp>, edge: &str) -> String {
    h.query_all_by_label_contains(edge)
        .filter_map(|n| n.accesskit_node().label())
        .find(|words| words.starts_with(edge) && words.contains(" sent, "))
        .unwrap_or_else(|| panic!("no edge {edge}"))
}

/// Advances the open lesson's clock by `seconds`, as the Step buttons would.
fn advance(h: &mut Harness<'static, FaultlineApp>, seconds: u64) {
    let session = h.state_mut().session.as_mut().expect("a lesson is open");
    session.step_by(sim_core::SimDuration::from_secs(seconds));
}

/// Steps the harness until the session's re-run has been installed.
fn settle(h: &mut Harness<'static, FaultlineApp>) {
    for _ in 0..2000 {
        h.run_steps(1);
        if !h.state().session.as_ref().unwrap().rerunning() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    panic!("the re-run did not finish");
}

#[test]
fn moving_a_slider_reruns_the_same_seed_to_the_same_clock_with_the_new_value() {
    let mut h = harness("cascade");
    advance(&mut h, 30);
    h.run_steps(2);
    h.get_by_label_contains("of 16 workers busy");
    h.get_by_role_and_label(egui::accesskit::Role::Slider, "services.db.workers")
        .focus();
    h.run_steps(1);
    h.key_press(egui::Key::ArrowRight);
    settle(&mut h);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(s.scenario.services["db"].workers, 17);
    assert_eq!(s.now(), sim_core::SimTime(30_000_000_000), "the same clock");
    assert_eq!(s.sets, ["services.db.workers=17"]);
    assert!(
        h.state().ghost.is_some(),
        "the previous curves are kept as ghosts"
    );
    h.get_by_label_contains("of 17 workers busy");
}

#[test]
fn save_scenario_writes_a_file_that_replays_what_was_seen() {
    let dir = std::env::temp_dir().join(format!("sim-gui-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = harness("faults/instance-crash");
    h.state_mut().save_dir = dir.clone();
    h.get_by_label("Step 100 ms").click();
    h.run_steps(1);
    h.get_by_label("Crash for 10 s").click();
    h.run_steps(1);
    h.get_by_label("Save scenario").click();
    h.run_steps(2);
    let path = dir.join("faults-instance-crash-edited.ron");
    h.get_by_label_contains("saved to");
    let text = std::fs::read_to_string(&path).unwrap();
    let saved = sim_models::load_scenario_str("saved.ron", &text, &[])
        .unwrap()
        .scenario;
    let session = h.state().session.as_ref().unwrap();
    assert_eq!(saved.faults, session.scenario.faults);
    assert_eq!(saved.seed, session.seed);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_timeline_goes_back_to_an_earlier_moment() {
    let mut h = harness("cascade");
    advance(&mut h, 80);
    h.run_steps(2);
    h.get_by_label_contains("api/0: up, 20 of 20 workers busy");
    let time = h.get_by_role_and_label(egui::accesskit::Role::Slider, "Time");
    time.focus();
    h.run_steps(1);
    h.key_press(egui::Key::ArrowLeft);
    h.run_steps(2);
    let now = h.state().session.as_ref().unwrap().now();
    assert!(
        now < sim_core::SimTime(80_000_000_000),
        "went back: {now:?}"
    );
    h.get_by_label_contains(&format!("t = {:.3} s of 180 s", now.as_secs_f64()));
}

#[test]
fn a_breaker_added_with_one_click_keeps_the_front_end_out_of_the_cascade_on_the_same_seed() {
    let mut h = harness("cascade");
    advance(&mut h, 75);
    h.run_steps(2);
    // The cascade: the database slowed down at 60 s and the front end is saturated.
    h.get_by_label_contains("frontend/0: up, 30 of 30 workers busy");
    h.get_by_label("Add breaker on api -> db").click();
    settle(&mut h);
    h.run_steps(2);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(
        s.now(),
        sim_core::SimTime(75_000_000_000),
        "the same moment, replayed"
    );
    assert!(s
        .sets
        .iter()
        .any(|x| x.starts_with("services.api.steps.1.policies=[CircuitBreaker(")));
    let frontend = s
        .world()
        .services
        .iter()
        .find(|x| x.name == "frontend")
        .unwrap();
    let busy: u32 = frontend.instances.iter().map(|i| i.busy_workers()).sum();
    assert!(
        busy < 15,
        "with the breaker the front end is not saturated: {busy} busy"
    );
    h.get_by_label_contains("api -> db: circuit_breaker");
    assert!(h.query_by_label("Add breaker on api -> db").is_none());
    // The edge itself shows its breaker: its state in words, and a colour when not closed.
    let world = s.world();
    let edge = world
        .edges
        .iter()
        .position(|e| e.from == "api" && world.services[e.to.index()].name == "db")
        .unwrap();
    let open = sim_gui::topology::breaker_open(world, edge).expect("a breaker on the edge");
    assert_eq!(open, 1.0, "the slow database keeps every api breaker open");
    let words = edge_words(&h, "api -> db: ");
    assert!(words.ends_with(", breaker open"), "{words}");
    h.snapshot("cascade_with_breaker_at_75s");
}

#[test]
fn without_a_lesson_the_picker_lists_every_lesson_and_opens_one() {
    let app = FaultlineApp::new(lessons(), None);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .build_ui_state(|ui, app: &mut FaultlineApp| app.show(ui), app);
    h.run_steps(2);
    for name in [
        "cascade",
        "partition",
        "queueing/mm1",
        "metastable-retry-storm",
    ] {
        h.get_by_label(&format!("Open {name}"));
    }
    h.get_by_label("Open partition").click();
    h.run_steps(2);
    let s = h.state().session.as_ref().expect("opened");
    assert_eq!(
        (s.lesson.name.as_str(), s.now().0, s.playing),
        ("partition", 0, false)
    );
    h.get_by_label("Play");
}

#[test]
fn partition_heal_and_load_spike_buttons_change_the_run_and_the_scenario() {
    let mut h = harness("cascade");
    advance(&mut h, 10);
    h.run_steps(1);
    let places = sim_gui::app::places(h.state().session.as_ref().unwrap());
    let at = |name: &str| places.iter().position(|p| p == name).unwrap();
    h.state_mut().sides = (at("api"), at("db"));
    h.run_steps(1);
    h.get_by_label("Partition api | db").click();
    h.run_steps(1);
    assert_eq!(h.state().error, None);
    let last = |h: &Harness<'static, FaultlineApp>| {
        let s = h.state().session.as_ref().unwrap();
        sim_gui::faults::describe(s.scenario.faults.last().unwrap())
    };
    assert_eq!(last(&h), "partition api | db, 10.000 s to 180.000 s");
    advance(&mut h, 2);
    h.run_steps(1);
    h.get_by_label_contains("api/1: partitioned,");
    h.get_by_label_contains("db/0: partitioned,");
    h.get_by_label_contains("frontend/0: up,");
    let lost = h
        .state()
        .session
        .as_ref()
        .unwrap()
        .world()
        .network
        .stats
        .lost;
    assert!(lost > 0, "api cannot reach db");
    h.get_by_label("Heal partitions").click();
    settle(&mut h);
    assert_eq!(last(&h), "partition api | db, 10.000 s to 12.000 s");
    h.get_by_label_contains("db/0: up,");
    h.get_by_label("Load spike x3 on users for 10 s").click();
    settle(&mut h);
    let s = h.state().session.as_ref().unwrap();
    assert_eq!(
        s.sets,
        [r#"clients.users.schedule=[Spike(start: "12s", duration: "10s", rate: 600)]"#]
    );
    assert_eq!(
        s.now(),
        sim_core::SimTime(12_000_000_000),
        "the same moment"
    );
    assert!(h.state().ghost.is_some());
}

#[test]
fn an_identical_copy_side_by_side_shows_identical_views_and_a_zero_difference() {
    let mut h = harness("cascade");
    advance(&mut h, 30);
    h.run_steps(1);
    h.get_by_label("Compare with an identical copy").click();
    settle_compare(&mut h);
    h.get_by_label("Play").click();
    h.run_steps(20);
    h.get_by_label("Pause").click();
    h.run_steps(2);
    let app = h.state();
    let (a, b) = (
        app.session.as_ref().unwrap(),
        &app.compare.as_ref().unwrap().b,
    );
    assert!(a.now() > sim_core::SimTime(30_000_000_000), "it played");
    assert_eq!(a.now(), b.now(), "in lockstep");
    for instance in ["frontend/0: ", "api/1: ", "db/0: "] {
        let views: Vec<String> = h
            .query_all_by_label_contains(instance)
            .filter_map(|n| n.accesskit_node().label())
            .collect();
        assert_eq!(views.len(), 2, "{instance} in A and in B");
        assert_eq!(views[0], views[1]);
    }
    let diff = sim_gui::compare::difference(a, b);
    assert!(diff.iter().all(|(_, p)| p.iter().all(|v| v[1] == 0.0)));
    h.get_by_label("Stop comparing");
}

#[test]
fn the_same_storm_with_and_without_a_breaker_side_by_side() {
    let mut h = harness("cascade");
    advance(&mut h, 75);
    h.run_steps(1);
    h.get_by_label("Compare with breaker on api -> db").click();
    settle_compare(&mut h);
    h.run_steps(2);
    let b = &h.state().compare.as_ref().unwrap().b;
    assert_eq!(b.now(), sim_core::SimTime(75_000_000_000));
    assert!(edge_words(&h, "api -> db: ").contains("sent"));
    let busy = |s: &sim_gui::session::Session| -> u32 {
        let frontend = s.world().services.iter().find(|x| x.name == "frontend");
        frontend
            .unwrap()
            .instances
            .iter()
            .map(|i| i.busy_workers())
            .sum()
    };
    let app = h.state();
    assert_eq!(busy(app.session.as_ref().unwrap()), 60, "A: saturated");
    assert!(busy(b) < 15, "B: the breaker keeps the front end free");
    h.snapshot("cascade_compare_breaker_at_75s");
}

/// Steps the harness until variant B has caught up with A's clock.
fn settle_compare(h: &mut Harness<'static, FaultlineApp>) {
    for _ in 0..2000 {
        h.run_steps(1);
        let app = h.state();
        let c = app.compare.as_ref().expect("comparing");
        if !c.b.rerunning() && c.b.now() == app.session.as_ref().unwrap().now() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    panic!("B did not catch up");
}

#[test]
fn an_autoscaled_service_shows_its_instances_off_then_serving_as_they_are_provisioned() {
    let mut h = harness("autoscaling-lag");
    h.run_steps(2);
    // 3 of 30 serve at first; the rest are allocated and off.
    h.get_by_label_contains("api/0: up");
    h.get_by_label_contains("api/29: off");
    advance(&mut h, 170);
    h.run_steps(3);
    // By 170 s the HPA has asked for more, and those provisioned take their share.
    let api5 = h
        .get_by_label_contains("api/5: up")
        .accesskit_node()
        .label()
        .unwrap_or_default();
    assert!(!api5.contains(" 0 of 8 workers busy"), "{api5}");
    h.get_by_label_contains("api/29: off");
    h.snapshot("autoscaling_lag_at_170s");
}
