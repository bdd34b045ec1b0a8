//! # partnerkb
//!
//! Search and classify multi-stakeholder partnerships by *ideal type*, so
//! that lessons can be shared between partnerships of the same type.
//!
//! Data flows through one module per concept:
//!
//! * [`record`]: the data model (partnerships, lessons);
//! * [`typology`]: the axes and classes every label is checked against;
//! * [`read`]: JSONL, CSV and documents → records, with located errors;
//! * [`gazetteer`]: partner sectors and scopes read from registry text;
//! * [`analyze`]: the one text analyzer shared by index and classifier;
//! * [`index`]: the tantivy knowledge base (schema, writer, search);
//! * [`ingest`]: the read → label → index pipeline;
//! * [`corrections`]: label corrections made by people, and their journal;
//! * [`classify`]: features, models, evaluation and explanations;
//! * [`review`]: the predicted labels most worth a person's look;
//! * [`bundle`]: the corpus and model shipped in the binary.
//!
//! ```no_run
//! use partnerkb::index::{KnowledgeBase, SearchRequest};
//! let kb = KnowledgeBase::open(std::path::Path::new("my-index"))?;
//! let results = kb.search(&SearchRequest {
//!     query: "stakeholder analysis".into(),
//!     limit: 5,
//!     ..Default::default()
//! })?;
//! for hit in results.hits {
//!     println!("{} {}", hit.id, hit.snippet);
//! }
//! # Ok::<(), partnerkb::Error>(())
//! ```
#![warn(missing_docs)]

pub mod analyze;
pub mod bundle;
pub mod classify;
pub mod corpus;
pub mod corrections;
pub mod embed;
pub mod error;
pub mod export;
pub mod gazetteer;
pub mod generate;
pub mod index;
pub mod ingest;
pub mod label;
pub mod read;
pub mod record;
pub mod review;
pub mod rng;
#[cfg(feature = "server")]
pub mod serve;
pub mod typology;
pub mod view;

pub use error::{Error, InternalError, RecordError, Result, TrainError, UserError};
pub use record::{Lesson, Partnership, Record};
pub use typology::Axis;
pub use typology::{Class, Kind, Scope, Sector};
