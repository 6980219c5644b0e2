//! `cargo run --release -p sim-gui -- [SCENARIO.ron]`: the teaching GUI, with the lesson
//! `SCENARIO.ron` open, or the lesson picker.

use sim_gui::lesson::{bundled, Lesson};
use sim_gui::FaultlineApp;
use std::path::{Path, PathBuf};

/// The bundled scenarios: `scenarios/` under the working directory, else the repository's.
fn scenarios_dir() -> PathBuf {
    let here = Path::new("scenarios");
    if here.is_dir() {
        here.to_path_buf()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") || args.len() > 1 {
        println!("usage: sim-gui [SCENARIO.ron]   (no argument: pick a lesson)");
        return Ok(());
    }
    let lessons = bundled(&scenarios_dir());
    let open = match args.first() {
        Some(file) => {
            let path = Path::new(file);
            let name = path
                .file_stem()
                .map_or(file.clone(), |s| s.to_string_lossy().into_owned());
            Some(Lesson::read(path, &name)?)
        }
        None => None,
    };
    let app = FaultlineApp::new(lessons, open);
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1400.0, 900.0])
            .with_title("Faultline"),
        ..Default::default()
    };
    eframe::run_native("Faultline", options, Box::new(|_| Ok(Box::new(app))))
        .map_err(|e| format!("cannot open a window: {e}"))
}
