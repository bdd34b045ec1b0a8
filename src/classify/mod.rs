//! The classifier: features, linear models trained with linfa, evaluation
//! and explanations.

pub mod batch;
pub mod evaluate;
pub mod features;
pub mod metrics;
pub mod model;
pub mod train;

pub mod held_out;
pub use model::{Algorithm, AxisPrediction, Evidence, Head, Model, BUNDLED_MODEL, FORMAT_VERSION};
pub use train::{Learner, TrainConfig};
