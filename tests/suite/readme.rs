//! The README's shown output is what the binary prints (issue 17): every
//! `$ partnerkb …` line of a ```console block is run, in order, in one
//! scratch directory (so `--index kb` made by one block is searched by the
//! next) with the repository's `corpus/` beside it, and its stderr then
//! stdout are compared with the lines shown under it.
//!
//! What cannot repeat is masked on both sides: timestamps, dates,
//! durations and rates. In the README, `[..]` inside a line matches any
//! text and a line `...` matches any number of lines; a command with no
//! lines under it is only run (it must not fail with 2 or 3). A trailing
//! `  # comment` is not part of the command.

use crate::util::{partnerkb, root};
use regex::Regex;

struct Example {
    /// README line number of the `$` line.
    line: usize,
    args: Vec<String>,
    expected: Vec<String>,
}

/// Split a command line as a POSIX shell would for the quoting the README
/// uses: single and double quotes, no escapes or expansions.
fn split(command: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in command.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    args.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None if c == '#' && !in_word => break,
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        args.push(current);
    }
    args
}

fn examples(readme: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_console = false;
    for (i, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            in_console = !in_console && line.trim() == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            let args = split(command);
            assert_eq!(args[0], "partnerkb", "README line {}: {line}", i + 1);
            out.push(Example {
                line: i + 1,
                args: args[1..].to_vec(),
                expected: Vec::new(),
            });
        } else if let Some(last) = out.last_mut() {
            last.expected.push(line.to_string());
        }
    }
    out
}

fn mask(text: &str) -> String {
    let rules = [
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "<time>"),
        (r"\d{4}-\d{2}-\d{2}", "<date>"),
        (r"\d+(\.\d+)?s\b", "<secs>"),
        (r"\d+ records/s", "<rate>"),
    ];
    let mut out = text.trim_end().to_string();
    for (pattern, with) in rules {
        out = Regex::new(pattern)
            .unwrap()
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

/// A README line as a pattern: `[..]` is any text, the rest literal.
fn line_pattern(expected: &str) -> Regex {
    let parts: Vec<String> = mask(expected).split("[..]").map(regex::escape).collect();
    Regex::new(&format!("^{}$", parts.join(".*"))).unwrap()
}

/// Whether `actual` matches `expected`, with `...` lines matching any run.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            !actual.is_empty()
                && line_pattern(first).is_match(&mask(&actual[0]))
                && matches(rest, &actual[1..])
        }
    }
}

#[test]
fn every_console_example_in_the_readme_prints_what_it_shows() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let examples = examples(&readme);
    assert!(
        examples.len() >= 10,
        "only {} examples found",
        examples.len()
    );
    let scratch = tempfile::tempdir().unwrap();
    let work = scratch.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::os::unix::fs::symlink(root().join("corpus"), work.join("corpus")).unwrap();
    std::os::unix::fs::symlink(root().join("models"), work.join("models")).unwrap();
    // Build the default index first, so its one-time note is not part of
    // the first example's output.
    let built = partnerkb(scratch.path())
        .current_dir(&work)
        .arg("stats")
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let mut drifted = Vec::new();
    // (README line of the first output line, lines shown, lines printed)
    let mut rewrites: Vec<(usize, usize, Vec<String>)> = Vec::new();
    // Progress lines come only when a step takes long enough, which
    // depends on the machine, not on the binary.
    let progress = Regex::new(r"^partnerkb: [\d,]+ [a-z]+ (read|embedded|indexed) \(").unwrap();
    for ex in &examples {
        let out = partnerkb(scratch.path())
            .current_dir(&work)
            .env("NO_COLOR", "1")
            .args(&ex.args)
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let actual: Vec<String> = text
            .lines()
            .filter(|l| !progress.is_match(l))
            .map(str::to_string)
            .collect();
        let mut expected = ex.expected.clone();
        while expected.last().is_some_and(|l| l.trim().is_empty()) {
            expected.pop();
        }
        let mut actual_trimmed = actual.clone();
        while actual_trimmed.last().is_some_and(|l| l.trim().is_empty()) {
            actual_trimmed.pop();
        }
        let ok = if expected.is_empty() {
            code == 0 || code == 1
        } else {
            matches(&expected, &actual_trimmed)
        };
        if !ok {
            rewrites.push((ex.line, expected.len(), actual_trimmed.clone()));
            drifted.push(format!(
                "README.md:{} `partnerkb {}` (exit {code}) printed:\n{}\n--- the README shows:\n{}",
                ex.line,
                ex.args.join(" "),
                actual_trimmed.join("\n"),
                expected.join("\n")
            ));
        }
    }
    // `PARTNERKB_BLESS_README=1` writes what the binary printed into the
    // drifted examples (then restore any `[..]`/`...` by hand and review).
    if std::env::var_os("PARTNERKB_BLESS_README").is_some() && !rewrites.is_empty() {
        let mut lines: Vec<String> = readme.lines().map(str::to_string).collect();
        for (line, shown, printed) in rewrites.iter().rev() {
            lines.splice(*line..*line + *shown, printed.iter().cloned());
        }
        std::fs::write(root().join("README.md"), lines.join("\n") + "\n").unwrap();
        eprintln!("README.md: {} example(s) rewritten", rewrites.len());
        return;
    }
    assert!(
        drifted.is_empty(),
        "{} README example(s) drifted from the binary:\n\n{}",
        drifted.len(),
        drifted.join("\n\n")
    );
}

#[test]
fn the_readme_matcher_masks_what_cannot_repeat_and_nothing_else() {
    let e = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(matches(
        &e(&["#1 2026-12-02T08:06:30Z amina: x (0.12s)", "..."]),
        &e(&["#1 2027-01-01T00:00:00Z amina: x (3.5s)", "more", "lines"])
    ));
    assert!(matches(
        &e(&["[..] matching, showing 1"]),
        &e(&["12 matching, showing 1"])
    ));
    assert!(!matches(&e(&["12 matching"]), &e(&["13 matching"])));
    assert!(!matches(&e(&["a"]), &e(&["a", "b"])));
    assert_eq!(
        split(r#"search "red tape" --kind lesson   # a comment"#),
        ["search", "red tape", "--kind", "lesson"]
    );
}
