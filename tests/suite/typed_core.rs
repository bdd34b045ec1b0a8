//! What the typed core promises users: exit statuses that say whose fault a
//! failure is, typed labels that keep the index's and the model's written
//! forms, and the typology served to the page.

use crate::util::{partnerkb, root, run};
use partnerkb::classify::Model;
use partnerkb::typology::{Axis, Class, Kind};

fn ingest_lessons(data: &std::path::Path, index: &std::path::Path) {
    let (code, _, err) = run(partnerkb(data)
        .arg("ingest")
        .arg("corpus/lessons.jsonl")
        .arg("--index")
        .arg(index));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn exit_status_is_0_found_1_nothing_2_the_users_fault_3_the_systems() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    ingest_lessons(tmp.path(), &index);
    let search = |args: &[&str], index: &std::path::Path| {
        run(partnerkb(tmp.path())
            .arg("search")
            .args(args)
            .arg("--index")
            .arg(index))
    };
    assert_eq!(search(&["stakeholder analysis"], &index).0, 0);
    // Nothing shares the word; by meaning, a hybrid search still offers
    // what clears its similarity floor.
    assert_eq!(
        search(&["zzzqqqxxy", "--retrieval", "lexical"], &index).0,
        1,
        "nothing found"
    );
    let (code, _, err) = search(&["x", "--challenge", "purpose"], &index);
    assert_eq!(code, 2, "an unknown label is the user's fault: {err}");
    let (code, _, err) = search(&["x"], &tmp.path().join("no-such-index"));
    assert_eq!(code, 2, "a directory that is not an index: {err}");

    // A damaged index is the system's fault.
    let damaged = tmp.path().join("damaged");
    ingest_lessons(tmp.path(), &damaged);
    std::fs::write(damaged.join("meta.json"), b"{ not json").unwrap();
    let (code, _, err) = search(&["stakeholder"], &damaged);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("partnerkb: error: index"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn the_committed_model_survives_a_round_trip_through_the_typed_core() {
    let text = std::fs::read_to_string(root().join("models/default.json")).unwrap();
    let mut model = Model::from_json("models/default.json", &text).expect("loads");
    assert_eq!(model.to_json(), text, "written back byte for byte");
}

#[test]
fn labels_are_read_once_forgivingly_and_written_as_before() {
    let class = Class::parse(Axis::Challenge, " Purpose-Roles ").unwrap();
    assert_eq!(class.name(), "purpose_roles");
    assert_eq!(class.axis().kind(), Kind::Lesson);
    assert_eq!(serde_json::to_string(&class).unwrap(), "\"purpose_roles\"");
    let err = Class::parse(Axis::Mode, "lobbying")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "unknown mode value `lobbying`, expected one of: coordination, implementation, negotiation"
    );
    for kind in Kind::ALL {
        for axis in kind.axes() {
            assert_eq!(axis.kind(), kind, "{axis}");
        }
    }
    assert_eq!(
        Axis::ALL
            .iter()
            .filter(|a| a.kind() == Kind::Partnership)
            .count(),
        2
    );
}
