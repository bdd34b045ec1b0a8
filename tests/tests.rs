//! Integration tests: one binary, modules per area, each test driving the
//! real `partnerkb` command or the library the way users do.

#[path = "suite/util.rs"]
mod util;

#[path = "suite/bad_input.rs"]
mod bad_input;
#[path = "suite/classifier.rs"]
mod classifier;
#[path = "suite/corpus.rs"]
mod corpus;
#[path = "suite/corrections.rs"]
mod corrections;
#[path = "suite/embed.rs"]
mod embed;
#[path = "suite/fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "suite/ingest_search.rs"]
mod ingest_search;
#[path = "suite/newcomer.rs"]
mod newcomer;
#[path = "suite/newcomer_cli.rs"]
mod newcomer_cli;
#[path = "suite/readme.rs"]
mod readme;
#[path = "suite/real_text.rs"]
mod real_text;
#[path = "suite/registry.rs"]
mod registry;
#[path = "suite/serve.rs"]
mod serve;
#[path = "suite/typed_core.rs"]
mod typed_core;
