//! Registry text: partner sectors inferred from names, scopes mapped from
//! coverage text, each inference traceable and never over what was given
//! (issue #17, "Partner sectors and scopes from registry text").

use crate::util::{partnerkb, run, search_json};
use partnerkb::read::{self, ColumnMap};
use partnerkb::record::{Partnership, SectorOrigin};
use partnerkb::{Record, Scope, Sector};
use std::path::Path;

const SAMPLE: &str = "corpus/registry-sample.csv";

fn ingest_json(home: &Path, index: &Path, files: &[&Path]) -> (serde_json::Value, String) {
    let (code, out, err) = run(partnerkb(home)
        .arg("ingest")
        .args(files)
        .args(["--json", "--no-classify", "--quiet", "--index"])
        .arg(index));
    assert_eq!(code, 0, "ingest failed: {err}");
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"));
    (report, err)
}

fn partnerships(path: &Path) -> Vec<Partnership> {
    read::read_path(path, None, &ColumnMap::default())
        .unwrap()
        .map(|item| match item.expect("every record reads").record {
            Record::Partnership(p) => p,
            Record::Lesson(_) => panic!("a partnership"),
        })
        .collect()
}

#[test]
fn registry_sample_partners_get_sectors_and_every_scope_is_mapped_traceably() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let sample = crate::util::root().join(SAMPLE);
    let (report, _) = ingest_json(tmp.path(), &index, &[&sample]);
    let hits = search_json(
        tmp.path(),
        &index,
        &["", "--kind", "partnership", "--limit", "1000"],
    );
    let hits = hits["hits"].as_array().unwrap();
    assert_eq!(hits.len() as u64, report["indexed"].as_u64().unwrap());

    // Sectors: the export gives none, so each is inferred or unknown, and
    // says which.
    let (mut partners, mut inferred, mut unknown) = (0u64, 0u64, 0u64);
    for hit in hits {
        for partner in hit["record"]["partners"].as_array().unwrap() {
            partners += 1;
            let sector = partner["sector"].as_str().unwrap();
            match partner["sector_origin"].as_str() {
                Some("inferred") => {
                    inferred += 1;
                    assert_ne!(sector, "other", "{partner}");
                }
                Some("unknown") => {
                    unknown += 1;
                    assert_eq!(sector, "other", "{partner}");
                }
                other => panic!("a registry partner's sector was not given: {other:?} {partner}"),
            }
        }
    }
    assert!(partners > 200, "{partners} partners");
    let share = inferred as f64 / partners as f64;
    assert!(
        share >= 0.8,
        "only {inferred} of {partners} partners ({:.0}%) got a sector other than `other`",
        share * 100.0
    );
    // The summary counts the same.
    assert_eq!(
        report["sectors"],
        serde_json::json!({"given": 0, "inferred": inferred, "unknown": unknown}),
        "{report}"
    );

    // Scopes: every coverage text maps to a scope and is kept beside it.
    let rows: Vec<csv::StringRecord> = csv::Reader::from_path(&sample)
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let with_text = rows.iter().filter(|r| !r[5].trim().is_empty()).count() as u64;
    assert_eq!(
        report["scopes"],
        serde_json::json!({"given": 0, "mapped": with_text, "unknown": 0}),
        "{report}"
    );
    let mut seen = std::collections::BTreeMap::new();
    for hit in hits {
        let record = &hit["record"];
        let text = record["scope_text"]
            .as_str()
            .expect("the coverage text is kept");
        let scope = record["scope"].as_str().expect("every coverage is mapped");
        seen.insert(text.to_string(), scope.to_string());
    }
    for (text, scope) in [
        ("Global", "global"),
        ("Africa", "regional"),
        ("Asia and the Pacific", "regional"),
        ("Latin America and the Caribbean", "regional"),
        ("Small island developing states", "regional"),
        (
            "Cameroon; Central African Republic; Democratic Republic of the Congo; Equatorial Guinea; Gabon; Republic of the Congo",
            "regional",
        ),
        ("Brazil", "national"),
    ] {
        assert_eq!(seen.get(text).map(String::as_str), Some(scope), "{text}");
    }
}

#[test]
fn the_ingest_summary_says_how_many_sectors_and_scopes_were_inferred() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = run(partnerkb(tmp.path())
        .args(["ingest", SAMPLE, "--no-classify", "--quiet", "--index"])
        .arg(tmp.path().join("idx")));
    assert_eq!(code, 0, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("partner sectors:"))
        .unwrap_or_else(|| panic!("no sector line in: {err}"));
    assert!(
        line.contains("0 given") && line.contains("inferred from names"),
        "{line}"
    );
    assert!(
        line.contains("mapped from coverage text, 0 unknown"),
        "{line}"
    );
    // A corpus whose partners all have sectors has nothing to report.
    let (code, _, err) = run(partnerkb(tmp.path())
        .args([
            "ingest",
            "corpus/partnerships.jsonl",
            "--no-classify",
            "--quiet",
        ])
        .arg("--index")
        .arg(tmp.path().join("idx2")));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("partner sectors:"), "{err}");
}

#[test]
fn gold_only_filters_and_counts_sectors_the_input_gave() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("idx");
    let given = tmp.path().join("given.jsonl");
    std::fs::write(
        &given,
        r#"{"id": "given-un", "name": "Given", "description": "A partnership with a UN partner whose sector the input gave.", "partners": [{"name": "UNEP", "sector": "un"}]}
"#,
    )
    .unwrap();
    let sample = crate::util::root().join(SAMPLE);
    ingest_json(tmp.path(), &index, &[&sample, &given]);
    let any = search_json(
        tmp.path(),
        &index,
        &["", "--sector", "un", "--limit", "1000"],
    );
    let gold = search_json(
        tmp.path(),
        &index,
        &["", "--sector", "un", "--gold-only", "--limit", "1000"],
    );
    assert!(any["total"].as_u64().unwrap() > 10, "{}", any["total"]);
    assert_eq!(gold["total"], 1, "{gold}");
    assert_eq!(gold["hits"][0]["id"], "given-un");
    // The counts under a gold-only search are of given sectors too, so a
    // sector chip never promises more than selecting it returns.
    let all_gold = search_json(tmp.path(), &index, &["", "--gold-only", "--limit", "1"]);
    assert_eq!(all_gold["facets"]["sector"], serde_json::json!({"un": 1}));
    // `stats` tells given from all.
    let (code, out, err) = run(partnerkb(tmp.path()).args(["stats", "--index"]).arg(&index));
    assert_eq!(code, 0, "{err}");
    let un = out
        .lines()
        .find(|l| l.trim_start().starts_with("un "))
        .expect("a un line");
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().eq(["sector", "records", "given"])),
        "{out}"
    );
    assert_eq!(un.split_whitespace().last(), Some("1"), "{un}");
}

#[test]
fn jsonl_and_csv_partners_without_a_sector_get_the_same_inference_and_given_ones_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let jsonl = tmp.path().join("r.jsonl");
    std::fs::write(
        &jsonl,
        r#"{"id": "r", "name": "R", "description": "d", "partners": [{"name": "United Nations Environment Programme (UNEP)"}, {"name": "Acme Ltd", "sector": "civil_society"}, {"name": "Nobody Knows"}], "scope_text": "Ghana, Mali and Niger"}
"#,
    )
    .unwrap();
    let csv = tmp.path().join("r.csv");
    std::fs::write(
        &csv,
        "name,description,partners,scope\nR,d,United Nations Environment Programme (UNEP); Acme Ltd (civil_society); Nobody Knows,\"Ghana, Mali and Niger\"\n",
    )
    .unwrap();
    for path in [&jsonl, &csv] {
        let p = &partnerships(path)[0];
        let got: Vec<(&str, Sector, SectorOrigin)> = p
            .partners
            .iter()
            .map(|x| (x.name.as_str(), x.sector, x.sector_origin))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "United Nations Environment Programme (UNEP)",
                    Sector::Un,
                    SectorOrigin::Inferred
                ),
                // A given sector is never overridden, however the name reads.
                ("Acme Ltd", Sector::CivilSociety, SectorOrigin::Given),
                ("Nobody Knows", Sector::Other, SectorOrigin::Unknown),
            ],
            "{}",
            path.display()
        );
        assert_eq!(p.scope, Some(Scope::Regional), "{}", path.display());
        assert_eq!(p.scope_text.as_deref(), Some("Ghana, Mali and Niger"));
    }
    // A given scope stays, whatever the text says.
    std::fs::write(
        &jsonl,
        r#"{"id": "r", "name": "R", "description": "d", "scope": "local", "scope_text": "Ghana"}
"#,
    )
    .unwrap();
    assert_eq!(partnerships(&jsonl)[0].scope, Some(Scope::Local));
}

#[test]
fn an_exported_inference_reads_back_as_an_inference() {
    // `export` writes what `ingest` indexed; reading it again must not
    // turn an inferred sector into a given one.
    let tmp = tempfile::tempdir().unwrap();
    let jsonl = tmp.path().join("r.jsonl");
    std::fs::write(
        &jsonl,
        r#"{"id": "r", "name": "R", "description": "d", "partners": [{"name": "UNEP"}]}
"#,
    )
    .unwrap();
    let p = &partnerships(&jsonl)[0];
    let written = serde_json::to_string(p).unwrap();
    assert!(
        written.contains(r#""sector":"un","sector_origin":"inferred""#),
        "{written}"
    );
    std::fs::write(&jsonl, format!("{written}\n")).unwrap();
    assert_eq!(&partnerships(&jsonl)[0], p);
}

#[test]
fn training_corpus_partners_all_have_given_sectors_so_model_features_are_unchanged() {
    // The classifier's `sector:` features come from partner sectors; the
    // inference only fills sectors the input left out, and the training
    // corpus gives every one (so `models/default.json` needs no
    // re-derivation, which `classifier::the_committed_model_is_rebuilt_*`
    // checks byte for byte).
    for file in ["corpus/partnerships.jsonl", "corpus/dev/partnerships.jsonl"] {
        for p in partnerships(&crate::util::root().join(file)) {
            for partner in &p.partners {
                assert_eq!(
                    partner.sector_origin,
                    SectorOrigin::Given,
                    "{file}: {}: {}",
                    p.id,
                    partner.name
                );
            }
        }
    }
}

#[test]
fn where_the_gazetteer_answers_on_the_corpus_it_mostly_agrees_with_the_annotators() {
    // A measurement, not a rule: the corpus's annotators gave every
    // partner a sector; the gazetteer, asked about the same names, should
    // agree on most of those it answers for (the codebook's lines between
    // sectors are not always sharp: a think tank, a development bank).
    let (mut answered, mut agreed, mut total) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for p in partnerships(&crate::util::root().join("corpus/partnerships.jsonl")) {
        for partner in &p.partners {
            if partner.sector == Sector::Other {
                continue;
            }
            total += 1;
            if let Some(sector) = partnerkb::gazetteer::infer_sector(&partner.name) {
                answered += 1;
                if sector == partner.sector {
                    agreed += 1;
                } else {
                    disagreements.push(format!("{} ({} → {sector})", partner.name, partner.sector));
                }
            }
        }
    }
    if std::env::var_os("PARTNERKB_SHOW_DISAGREEMENTS").is_some() {
        eprintln!("{}", disagreements.join("\n"));
    }
    let agreement = agreed as f64 / answered as f64;
    eprintln!(
        "gazetteer on the corpus: answered {answered} of {total}, agreed on {agreed} ({:.1}%)",
        agreement * 100.0
    );
    assert!(
        answered as f64 >= 0.6 * total as f64,
        "answered {answered} of {total}"
    );
    assert!(
        agreement >= 0.9,
        "agreed on {agreed} of {answered}: {}",
        disagreements.join("; ")
    );
}
