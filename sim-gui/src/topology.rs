//! The topology: clients on the left, services in columns by call depth, each instance a box
//! with its workers as dots (busy ones filled) and its queue as a bar; a crashed instance is
//! drawn dark red and marked DOWN, an ejected one with an orange frame. Hovering an instance
//! shows its numbers; each box's accessible name says the same, for tests and screen readers.

use crate::session::Session;
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2};
use sim_models::{Instance, World};

const BOX: Vec2 = Vec2::new(130.0, 58.0);
const GAP: f32 = 10.0;
const COLUMN: f32 = 190.0;
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
            let to = e.to as usize;
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
pub fn describe(service: &str, i: usize, inst: &Instance) -> String {
    let state = if !inst.up {
        "down"
    } else if inst.ejected {
        "ejected"
    } else {
        "up"
    };
    format!(
        "{service}/{i}: {state}, {} of {} workers busy, {} queued",
        inst.busy_workers(),
        inst.workers,
        inst.queue_length()
    )
}

/// Draws the topology of `session`'s world now.
pub fn show(ui: &mut egui::Ui, session: &Session) {
    let world = session.world();
    let cols = columns(world);
    let origin = ui.cursor().min + Vec2::new(8.0, 8.0);
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
        let x = origin.x + col as f32 * COLUMN;
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
        for (i, inst) in svc.instances.iter().enumerate() {
            let r = Rect::from_min_size(Pos2::new(x, y), BOX);
            instance_box(ui, &painter, r, &svc.name, i, inst, &world.zones);
            y += BOX.y + GAP;
        }
        rows[col] += svc.instances.len() + 1;
        max_y = max_y.max(y);
    }
    // Call edges, from the caller's box or header to the callee's header.
    let edge = Stroke::new(1.5, Color32::from_gray(140));
    for e in &world.edges {
        let to = header.get(e.to as usize).copied().unwrap_or_default();
        let from = if e.from_client {
            let k = world.clients.iter().position(|c| c.name == e.from);
            k.and_then(|k| client_at.get(k).copied())
        } else {
            let k = world.services.iter().position(|s| s.name == e.from);
            k.map(|k| header[k] + Vec2::new(BOX.x + 8.0, 0.0))
        };
        if let Some(from) = from {
            painter.arrow(from, (to - from) * 0.97, edge);
        }
    }
    let used = Vec2::new(
        (cols.iter().max().copied().unwrap_or(0) + 1) as f32 * COLUMN,
        (max_y - origin.y + 16.0).max(world.clients.len() as f32 * (BOX.y + GAP)),
    );
    ui.allocate_space(used);
}

/// One instance: a box with worker dots and a queue bar, hoverable, with an accessible name.
fn instance_box(
    ui: &mut egui::Ui,
    painter: &egui::Painter,
    r: Rect,
    service: &str,
    i: usize,
    inst: &Instance,
    zones: &[String],
) {
    let words = describe(service, i, inst);
    let response = ui.interact(r, ui.scope_id().with((service, i)), Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Group, true, &words));
    let zone = zones.get(inst.zone as usize).map_or("", String::as_str);
    response.on_hover_text(format!(
        "{words}\nzone {zone}\narrivals {} · completed {}",
        inst.stats.arrivals, inst.stats.completed
    ));
    let (fill, frame) = if !inst.up {
        (
            Color32::from_rgb(90, 20, 20),
            Stroke::new(2.0, Color32::RED),
        )
    } else if inst.ejected {
        (
            Color32::from_gray(45),
            Stroke::new(2.5, Color32::from_rgb(255, 150, 0)),
        )
    } else {
        (
            Color32::from_gray(40),
            Stroke::new(1.0, Color32::from_gray(120)),
        )
    };
    painter.rect(r, 4.0, fill, frame, egui::StrokeKind::Inside);
    let label = if inst.up {
        format!("{i}")
    } else {
        format!("{i} DOWN")
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
