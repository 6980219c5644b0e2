//! The topology: clients on the left, services in columns by call depth, each instance a box
//! with its workers as dots (busy ones filled) and its queue as a bar; a crashed instance is
//! drawn dark red and marked DOWN, a paused one blue and PAUSED, one on a side of a partition
//! in force framed purple and CUT OFF, an ejected one framed orange and EJECTED. Each call edge
//! carries sampled messages as moving dots — requests out, outcomes back, coloured by how the
//! call ended — and takes its circuit breaker's colour (amber half-open, red open). Hovering an
//! instance or an edge's midpoint shows its numbers; each one's accessible name says the same,
//! for tests and screen readers.

use crate::animator::{Flight, Tint};
use crate::session::Session;
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2};
use sim_core::SimTime;
use sim_models::{Instance, ServiceId, World};

const BOX: Vec2 = Vec2::new(130.0, 58.0);
const GAP: f32 = 10.0;
/// The widest a column gets: wider spreads the edges out more than it helps.
const COLUMN: f32 = 260.0;
const DOTS_PER_ROW: usize = 16;
const MAX_DOTS: u32 = 48;

/// Each service's column: 1 + the deepest column of its callers (clients are column 0).
pub fn columns(world: &World<impl sim_models::Observer>) -> Vec<usize> {
    let n = world.services.len();
    let mut col = vec![1usize; n];
    let index = |name: &str| world.services.iter().position(|s| s.name == name);
    // Call graphs have no cycles (the scenario check refuses them): n passes settle it.
    for _ in 0..n {
        let mut changed = false;
        for e in &world.edges {
            let from = if e.from_client {
                0
            } else {
                index(&e.from).map_or(0, |i| col[i])
            };
            let to = e.to.index();
            if to < n && col[to] < from + 1 {
                col[to] = from + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    col
}

/// What an instance box says, in words: its accessible name and hover text.
pub fn describe(service: &str, i: usize, inst: &Instance, state: State) -> String {
    let state = state.name();
    format!(
        "{service}/{i}: {state}, {} of {} workers busy, {} queued",
        inst.busy_workers(),
        inst.workers,
        inst.queue_length()
    )
}

/// What an instance is going through now, as drawn: the first that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Allocated for an autoscaler but not serving: off, or still provisioning.
    Off,
    /// Crashed (or killed by its liveness probe and restarting).
    Down,
    /// Frozen by a pause fault: it holds its work and answers nothing.
    Paused,
    /// On one side of a network partition in force.
    Partitioned,
    /// Taken out of its load balancer by outlier detection.
    Ejected,
    /// Taken out of its load balancer by a failed health check.
    Unhealthy,
    /// Taken out of rotation by its autoscaler, finishing what it holds.
    Draining,
    /// Serving.
    Up,
}

impl State {
    /// The word for it.
    pub fn name(self) -> &'static str {
        match self {
            State::Off => "off",
            State::Down => "down",
            State::Paused => "paused",
            State::Partitioned => "partitioned",
            State::Ejected => "ejected",
            State::Unhealthy => "unhealthy",
            State::Draining => "draining",
            State::Up => "up",
        }
    }
}

/// The state of instance `i` of service `s` at `now`, from the instance and the faults in force.
pub fn state(world: &World<impl sim_models::Observer>, now: SimTime, s: usize, i: usize) -> State {
    let inst = &world.services[s].instances[i];
    if !inst.up {
        return if inst.in_rotation {
            State::Down
        } else {
            State::Off
        };
    }
    let here = world.endpoint(ServiceId::new(s), sim_models::InstanceId::new(i));
    let mut state = State::Up;
    for f in world.faults.iter().filter(|f| f.in_force(now)) {
        match f.kind {
            sim_models::FaultKind::Pause if f.service == Some(ServiceId::new(s)) && f.hits(i) => {
                return State::Paused;
            }
            sim_models::FaultKind::Network(
                sim_models::NetEffect::Partition | sim_models::NetEffect::Hold(_),
                _,
            ) if f.sides.0.iter().chain(&f.sides.1).any(|p| p.contains(here)) => {
                state = State::Partitioned
            }
            _ => {}
        }
    }
    if state == State::Up && !inst.in_rotation {
        return State::Draining;
    }
    if state == State::Up && inst.ejected {
        return State::Ejected;
    }
    if state == State::Up && !inst.healthy {
        return State::Unhealthy;
    }
    state
}

/// Draws the topology of `session`'s world now.
pub fn show(ui: &mut egui::Ui, session: &Session) {
    let world = session.world();
    let cols = columns(world);
    let origin = ui.cursor().min + Vec2::new(8.0, 8.0);
    // Columns share the width, leaving room between boxes for the edges' dots.
    let last = cols.iter().max().copied().unwrap_or(1).max(1);
    let column = ((ui.available_width() - BOX.x - 24.0) / last as f32).clamp(BOX.x + 40.0, COLUMN);
    let painter = ui.painter().clone();
    let text = ui.visuals().text_color();
    // Clients in column 0.
    let mut header = vec![Pos2::ZERO; world.services.len()];
    let mut client_at = Vec::new();
    for (k, c) in world.clients.iter().enumerate() {
        let r = Rect::from_min_size(origin + Vec2::new(0.0, k as f32 * (BOX.y + GAP)), BOX * 0.8);
        painter.rect_filled(r, 6.0, Color32::from_rgb(60, 90, 140));
        painter.text(
            r.center(),
            Align2::CENTER_CENTER,
            &c.name,
            FontId::proportional(13.0),
            Color32::WHITE,
        );
        client_at.push(r.right_center());
    }
    // Services, each a column of instance boxes under its name.
    let mut rows = vec![0usize; cols.iter().max().map_or(1, |m| m + 1)];
    let mut max_y = origin.y;
    for (s, svc) in world.services.iter().enumerate() {
        let col = cols[s];
        let x = origin.x + col as f32 * column;
        let mut y = origin.y + rows[col] as f32 * (BOX.y + GAP);
        painter.text(
            Pos2::new(x, y),
            Align2::LEFT_TOP,
            &svc.name,
            FontId::proportional(14.0),
            text,
        );
        header[s] = Pos2::new(x - 4.0, y + 8.0);
        y += 20.0;
        for i in 0..svc.instances.len() {
            let r = Rect::from_min_size(Pos2::new(x, y), BOX);
            let st = state(world, session.now(), s, i);
            instance_box(ui, &painter, r, world, (s, i), st);
            y += BOX.y + GAP;
        }
        rows[col] += svc.instances.len() + 1;
        max_y = max_y.max(y);
    }
    // Call edges, from the caller's box or header to the callee's header.
    let mut ends = Vec::with_capacity(world.edges.len());
    for (k, e) in world.edges.iter().enumerate() {
        let to = header.get(e.to.index()).copied().unwrap_or_default();
        let from = if e.from_client {
            let k = world.clients.iter().position(|c| c.name == e.from);
            k.and_then(|k| client_at.get(k).copied())
        } else {
            let k = world.services.iter().position(|s| s.name == e.from);
            k.map(|k| header[k] + Vec2::new(BOX.x + 8.0, 0.0))
        };
        ends.push(from.map(|from| (from, to)));
        let Some(from) = from else { continue };
        let open = breaker_open(world, k);
        let colour = match open {
            Some(f) if f > 0.0 => lerp(
                Color32::from_rgb(240, 180, 40),
                Color32::from_rgb(230, 40, 40),
                f,
            ),
            _ => Color32::from_gray(140),
        };
        let width = if open.is_some_and(|f| f > 0.0) {
            3.0
        } else {
            1.5
        };
        painter.arrow(from, (to - from) * 0.97, Stroke::new(width, colour));
        edge_handle(ui, &painter, from.lerp(to, 0.5), world, k, open, colour);
    }
    flights(&painter, session, &ends);
    legend(
        &painter,
        origin + Vec2::new(0.0, (max_y - origin.y).max(BOX.y * 2.0)),
    );
    let used = Vec2::new(
        last as f32 * column + BOX.x + 16.0,
        (max_y - origin.y + 16.0).max(world.clients.len() as f32 * (BOX.y + GAP)) + 20.0,
    );
    ui.allocate_space(used);
}

/// The colour of a message dot of `tint`.
pub fn tint_colour(tint: Tint) -> Color32 {
    match tint {
        Tint::Request => Color32::from_rgb(140, 180, 255),
        Tint::Ok => Color32::from_rgb(80, 210, 110),
        Tint::Error => Color32::from_rgb(235, 60, 60),
        Tint::Timeout => Color32::from_rgb(250, 220, 60),
        Tint::Shed => Color32::from_rgb(250, 140, 40),
        Tint::Refused => Color32::from_rgb(200, 110, 230),
        Tint::Lost => Color32::from_gray(150),
    }
}

/// Every tint, in legend order.
pub const TINTS: [Tint; Tint::COUNT] = [
    Tint::Request,
    Tint::Ok,
    Tint::Error,
    Tint::Timeout,
    Tint::Shed,
    Tint::Refused,
    Tint::Lost,
];

/// What the dot colours mean, in one row at `at`.
fn legend(painter: &egui::Painter, at: Pos2) {
    let mut x = at.x;
    for tint in TINTS {
        painter.circle_filled(Pos2::new(x + 4.0, at.y + 6.0), 4.0, tint_colour(tint));
        let r = painter.text(
            Pos2::new(x + 11.0, at.y),
            Align2::LEFT_TOP,
            tint.name(),
            FontId::proportional(11.0),
            Color32::from_gray(180),
        );
        x = r.right() + 12.0;
    }
}

/// How far along its edge a dot is at `now` (0 at the caller, 1 at the callee), or `None` if
/// it is not on the edge now. A dot crosses in `flight` of simulated time, or its network
/// travel time if longer; requests go out, outcomes come back, refusals bounce off the
/// caller (they never left), lost messages fade halfway.
pub fn position(f: &Flight, now: SimTime, flight: sim_core::SimDuration) -> Option<f32> {
    if f.at > now {
        return None;
    }
    let span = flight.as_secs_f64().max(f.travel.as_secs_f64()).max(1e-9);
    let p = ((now - f.at).as_secs_f64() / span) as f32;
    if p >= 1.0 {
        return None;
    }
    Some(match f.tint {
        Tint::Request => p,
        Tint::Refused => 0.15 * (1.0 - (2.0 * p - 1.0).abs()),
        Tint::Lost => 0.5 * p,
        _ => 1.0 - p,
    })
}

/// The sampled messages in flight now, as dots on their edges.
fn flights(painter: &egui::Painter, session: &Session, ends: &[Option<(Pos2, Pos2)>]) {
    for (f, p) in on_screen(session) {
        let Some(Some((from, to))) = ends.get(f.edge.index()) else {
            continue;
        };
        let mut colour = tint_colour(f.tint);
        if f.tint == Tint::Lost {
            colour = colour.gamma_multiply(1.0 - p);
        }
        painter.circle_filled(from.lerp(*to, p), 3.5, colour);
    }
}

/// The message dots the topology draws now, each with how far along its edge it is: the
/// sampled messages on their edge at this moment, of the kinds shown.
pub fn on_screen(session: &Session) -> impl Iterator<Item = (&Flight, f32)> {
    let (now, flight) = (session.now(), session.flight_time());
    session
        .world()
        .observer()
        .flights
        .iter()
        .filter(|f| session.shown[f.tint as usize])
        .filter_map(move |f| Some((f, position(f, now, flight)?)))
}

/// How open edge `edge`'s circuit breakers are: 0 all closed, 0.5 all half-open, 1 all open
/// (the mean over its callers' instances), or `None` without a breaker.
pub fn breaker_open(world: &World<impl sim_models::Observer>, edge: usize) -> Option<f32> {
    let level = world
        .policy_levels
        .get(edge)?
        .iter()
        .find(|l| l.layer == "circuit_breaker")?;
    let callers = callers(world, edge);
    Some((level.level / (2.0 * callers as f64)).clamp(0.0, 1.0) as f32)
}

/// How many callers edge `edge` has, each with its own policy stack: the calling service's
/// instances, or 1 for a client.
pub fn callers(world: &World<impl sim_models::Observer>, edge: usize) -> usize {
    let e = &world.edges[edge];
    if e.from_client {
        return 1;
    }
    world
        .services
        .iter()
        .find(|s| s.name == e.from)
        .map_or(1, |s| s.instances.len().max(1))
}

/// An edge in words: its accessible name and hover text.
pub fn describe_edge(world: &World<impl sim_models::Observer>, edge: usize) -> String {
    let e = &world.edges[edge];
    let st = &world.statistics().edges[edge];
    let to = world.services.get(e.to.index()).map_or("?", |s| &s.name);
    let errors: u64 = st.outcomes.iter().skip(1).sum::<u64>()
        - st.outcomes[sim_models::Outcome::Fallback as usize];
    let mut words = format!(
        "{} -> {to}: {} sent, {} retries, {} failed",
        e.from, st.attempts, st.retries, errors
    );
    if let Some(open) = breaker_open(world, edge) {
        let state = match open {
            0.0 => "closed".to_string(),
            1.0 => "open".to_string(),
            f => format!("{:.0}% open", f * 100.0),
        };
        words.push_str(&format!(", breaker {state}"));
    }
    words
}

/// A small handle at an edge's midpoint: hover it for the edge's numbers.
fn edge_handle(
    ui: &mut egui::Ui,
    painter: &egui::Painter,
    at: Pos2,
    world: &World<impl sim_models::Observer>,
    edge: usize,
    open: Option<f32>,
    colour: Color32,
) {
    let words = describe_edge(world, edge);
    let r = Rect::from_center_size(at, Vec2::splat(12.0));
    let response = ui.interact(r, ui.scope_id().with(("edge", edge)), Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Group, true, &words));
    response.on_hover_text(words);
    if open.is_some() {
        painter.circle(at, 5.0, Color32::from_gray(30), Stroke::new(2.0, colour));
    } else {
        painter.circle_filled(at, 3.0, colour);
    }
}

fn lerp(a: Color32, b: Color32, f: f32) -> Color32 {
    let m = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * f).round() as u8;
    Color32::from_rgb(m(a.r(), b.r()), m(a.g(), b.g()), m(a.b(), b.b()))
}

/// One instance: a box with worker dots and a queue bar, hoverable, with an accessible name.
fn instance_box(
    ui: &mut egui::Ui,
    painter: &egui::Painter,
    r: Rect,
    world: &World<impl sim_models::Observer>,
    (s, i): (usize, usize),
    state: State,
) {
    let (service, zones) = (world.services[s].name.as_str(), &world.zones);
    let inst = &world.services[s].instances[i];
    let figures = &world.statistics().servers[s].instances[i];
    let words = describe(service, i, inst, state);
    let response = ui.interact(r, ui.scope_id().with((service, i)), Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Group, true, &words));
    let zone = zones.get(inst.zone as usize).map_or("", String::as_str);
    response.on_hover_text(format!(
        "{words}\nzone {zone}\narrivals {} · completed {}",
        figures.arrivals, figures.completed
    ));
    let (fill, frame) = match state {
        State::Down => (Color32::from_rgb(90, 20, 20), (2.0, Color32::RED)),
        State::Paused => (
            Color32::from_rgb(30, 45, 85),
            (2.5, Color32::from_rgb(110, 150, 255)),
        ),
        State::Partitioned => (
            Color32::from_gray(40),
            (2.5, Color32::from_rgb(200, 110, 230)),
        ),
        State::Ejected => (
            Color32::from_gray(45),
            (2.5, Color32::from_rgb(255, 150, 0)),
        ),
        State::Unhealthy => (
            Color32::from_gray(45),
            (2.5, Color32::from_rgb(230, 200, 40)),
        ),
        State::Off | State::Draining => (Color32::from_gray(25), (1.0, Color32::from_gray(70))),
        State::Up => (Color32::from_gray(40), (1.0, Color32::from_gray(120))),
    };
    let frame = Stroke::new(frame.0, frame.1);
    painter.rect(r, 4.0, fill, frame, egui::StrokeKind::Inside);
    let label = match state {
        State::Up => format!("{i}"),
        State::Partitioned => format!("{i} CUT OFF"),
        other => format!("{i} {}", other.name().to_uppercase()),
    };
    painter.text(
        r.left_top() + Vec2::new(4.0, 2.0),
        Align2::LEFT_TOP,
        label,
        FontId::proportional(11.0),
        Color32::WHITE,
    );
    if !inst.up {
        return;
    }
    // Workers: one dot each (busy ones filled), or a bar when there are many.
    let busy = inst.busy_workers();
    let area = Rect::from_min_max(
        r.left_top() + Vec2::new(4.0, 16.0),
        r.right_bottom() - Vec2::new(4.0, 14.0),
    );
    if inst.workers <= MAX_DOTS {
        for w in 0..inst.workers as usize {
            let (row, col) = (w / DOTS_PER_ROW, w % DOTS_PER_ROW);
            let c = area.left_top() + Vec2::new(4.0 + col as f32 * 7.6, 4.0 + row as f32 * 8.0);
            if (w as u32) < busy {
                painter.circle_filled(c, 3.0, Color32::from_rgb(80, 200, 120));
            } else {
                painter.circle_stroke(c, 3.0, Stroke::new(1.0, Color32::from_gray(110)));
            }
        }
    } else {
        let frac = busy as f32 / inst.workers.max(1) as f32;
        let bar = Rect::from_min_size(area.left_top(), Vec2::new(area.width(), 8.0));
        painter.rect_filled(bar, 2.0, Color32::from_gray(70));
        painter.rect_filled(
            Rect::from_min_size(bar.min, Vec2::new(bar.width() * frac, 8.0)),
            2.0,
            Color32::from_rgb(80, 200, 120),
        );
    }
    // The queue: a bar on a log scale (1 to 10,000), and its length.
    let q = inst.queue_length();
    let frac = ((q as f32 + 1.0).log10() / 4.0).min(1.0);
    let bar = Rect::from_min_size(
        r.left_bottom() + Vec2::new(4.0, -11.0),
        Vec2::new((r.width() - 8.0) * frac, 6.0),
    );
    painter.rect_filled(bar, 1.0, Color32::from_rgb(230, 170, 60));
    if q > 0 {
        painter.text(
            r.right_bottom() - Vec2::new(4.0, 2.0),
            Align2::RIGHT_BOTTOM,
            format!("q {q}"),
            FontId::proportional(10.0),
            Color32::WHITE,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Lesson;
    use sim_core::SimDuration;

    #[test]
    fn a_paused_instance_reads_paused_only_while_the_pause_lasts() {
        let source = r#"(
            duration: "20s",
            clients: { "u": Open(rate: 50, target: "s") },
            services: { "s": (instances: 2, workers: 4, service_time: Exponential(mean: "10ms")) },
            faults: [Pause(service: "s", instance: Some(1), start: "5s", duration: "5s")],
        )"#;
        let lesson = Lesson {
            name: "pause".into(),
            path: "pause.ron".into(),
            text: String::new(),
            look_for: Vec::new(),
            source: source.into(),
        };
        let mut session = Session::open(lesson, Some(1)).unwrap();
        let at = |session: &Session, i| state(session.world(), session.now(), 0, i);
        session.step_by(SimDuration::from_secs(6));
        assert_eq!(
            (at(&session, 0), at(&session, 1)),
            (State::Up, State::Paused)
        );
        session.step_by(SimDuration::from_secs(5));
        assert_eq!(at(&session, 1), State::Up, "the pause is over");
    }
}
