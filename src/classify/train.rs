//! Training: model selection by stratified cross-validation, probability
//! calibration, and the final fit, all deterministic for a given corpus and
//! seed.
//!
//! linfa's classifiers take dense input, so each fold's training documents
//! are densified over that fold's (capped) vocabulary only; prediction
//! afterwards uses the learned weights on sparse vectors.

use super::features::{self, Feature, Interner, SparseVec, Vocabulary, VocabularyConfig};
use super::metrics::{self, Metrics};
use super::model::{
    current_typology, Algorithm, Candidate, Featurizer, Head, Model, Provenance, FORMAT_VERSION,
};
use crate::analyze::{self, Analyzer};
use crate::error::{Result, TrainError};
use crate::record::{Kind, Record};
use crate::rng::SplitMix;
use crate::typology::Axis;
use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use linfa_svm::Svm;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Training settings, validated before any work starts.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Seed for the fold assignment.
    pub seed: u64,
    /// Cross-validation folds for model selection and metrics.
    pub folds: usize,
    /// Vocabulary settings.
    pub vocabulary: VocabularyConfig,
    /// L2 strengths tried for logistic regression.
    pub logistic_alphas: Vec<f64>,
    /// C values tried for the linear SVM (one-vs-rest).
    pub svm_cs: Vec<f64>,
    /// C values tried for the NB-scaled linear SVM.
    pub nbsvm_cs: Vec<f64>,
    /// L-BFGS iterations for logistic regression.
    pub max_iterations: u64,
    /// Training date written into the model (YYYY-MM-DD).
    pub date: String,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 42,
            folds: 5,
            vocabulary: VocabularyConfig {
                min_df: 2,
                max_features: 20_000,
            },
            logistic_alphas: vec![0.01, 0.03, 0.1],
            svm_cs: vec![0.3, 1.0, 3.0],
            nbsvm_cs: vec![1.0],
            max_iterations: 200,
            date: String::new(),
        }
    }
}

impl TrainConfig {
    /// Reject settings that cannot work, before any work starts. Every
    /// parameter is checked; the error names the setting.
    pub fn check(&self) -> Result<(), TrainError> {
        let bad = |name: &'static str, reason: &str| {
            Err(TrainError::Setting {
                name,
                reason: reason.to_string(),
            })
        };
        if self.folds < 2 {
            return bad("folds", "must be at least 2");
        }
        if self.folds > MAX_FOLDS {
            return bad("folds", &format!("must be at most {MAX_FOLDS}"));
        }
        if self.vocabulary.min_df == 0 {
            return bad("vocabulary.min_df", "must be at least 1");
        }
        if self.vocabulary.max_features == 0 {
            return bad("vocabulary.max_features", "must be positive");
        }
        if self.logistic_alphas.is_empty() && self.svm_cs.is_empty() && self.nbsvm_cs.is_empty() {
            return bad(
                "logistic_alphas, svm_cs, nbsvm_cs",
                "no model configuration to try",
            );
        }
        for (name, values) in [
            ("logistic_alphas", &self.logistic_alphas),
            ("svm_cs", &self.svm_cs),
            ("nbsvm_cs", &self.nbsvm_cs),
        ] {
            if values.iter().any(|v| !v.is_finite() || *v <= 0.0) {
                return bad(name, "regularisation values must be positive and finite");
            }
        }
        if self.max_iterations == 0 {
            return bad("max_iterations", "must be positive");
        }
        if !is_iso_date(&self.date) {
            return bad(
                "date",
                &format!("`{}` is not a date written YYYY-MM-DD", self.date),
            );
        }
        Ok(())
    }
}

/// More folds than this leave too few examples per fold to score.
const MAX_FOLDS: usize = 20;

/// `YYYY-MM-DD` with a month of 1–12 and a day that month can have.
fn is_iso_date(text: &str) -> bool {
    let d = text.as_bytes();
    let shape = d.len() == 10
        && d[4] == b'-'
        && d[7] == b'-'
        && d.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return false;
    }
    let number = |r: std::ops::Range<usize>| text[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// A labelled document ready for training.
#[derive(Debug, Clone)]
pub struct Example {
    /// Record id.
    pub id: String,
    /// Its feature occurrences.
    pub features: Vec<Feature>,
    /// Class index per axis (absent when unlabelled on that axis).
    pub labels: BTreeMap<Axis, usize>,
}

/// The examples of the records of one kind (in order), without copying
/// the records: what training and evaluation both start from.
pub fn examples_of(records: &[Record], kind: Kind) -> Vec<Example> {
    let of_kind: Vec<&Record> = records.iter().filter(|r| r.kind() == kind).collect();
    examples_from(&of_kind)
}

/// Turn records into examples (in parallel, order kept).
pub fn examples(records: &[Record]) -> Vec<Example> {
    examples_from(&records.iter().collect::<Vec<_>>())
}

fn examples_from(records: &[&Record]) -> Vec<Example> {
    records
        .par_iter()
        .map_init(
            || (Analyzer::default(), Interner::default()),
            |(analyzer, interner), r| {
                let text = features::record_text(r);
                let features = interner.features(analyzer, &text, &features::record_sectors(r));
                let labels: BTreeMap<Axis, usize> = r
                    .kind()
                    .axes()
                    .iter()
                    .filter_map(|&axis| r.gold(axis).map(|c| (axis, c.index())))
                    .collect();
                Example {
                    id: r.id().to_string(),
                    features,
                    labels,
                }
            },
        )
        .collect()
}

/// Stratified fold assignment: each class's examples are shuffled with
/// the seed and dealt round-robin, so every fold has each class in
/// proportion.
pub fn stratified_folds(labels: &[usize], folds: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix(seed);
    let mut assignment = vec![0; labels.len()];
    let classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut next_fold = 0;
    for c in 0..classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        for i in (1..members.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            members.swap(i, j);
        }
        for m in members {
            assignment[m] = next_fold;
            next_fold = (next_fold + 1) % folds;
        }
    }
    assignment
}

/// Which learner and setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Learner {
    /// Multinomial logistic regression (linfa-logistic), L2 strength.
    Logistic(f64),
    /// Linear SVM one-vs-rest (linfa-svm), C.
    LinearSvm(f64),
    /// Linear SVM one-vs-rest on naive-Bayes-scaled features (Wang and
    /// Manning 2012, "NBSVM"), C.
    NbSvm(f64),
}

impl Learner {
    /// The learner of `algorithm` with regularisation `regularization`.
    pub fn new(algorithm: Algorithm, regularization: f64) -> Learner {
        match algorithm {
            Algorithm::Logistic => Learner::Logistic(regularization),
            Algorithm::LinearSvm => Learner::LinearSvm(regularization),
            Algorithm::NbSvm => Learner::NbSvm(regularization),
        }
    }

    /// The learner a head was trained with. Its algorithm is typed, so a
    /// model file naming an unknown one was refused when it was loaded.
    pub fn of(head: &Head) -> Learner {
        Learner::new(head.algorithm, head.regularization)
    }

    /// Which algorithm.
    pub fn algorithm(self) -> Algorithm {
        match self {
            Learner::Logistic(_) => Algorithm::Logistic,
            Learner::LinearSvm(_) => Algorithm::LinearSvm,
            Learner::NbSvm(_) => Algorithm::NbSvm,
        }
    }

    /// The regularisation setting (logistic: L2 alpha; SVMs: C).
    pub fn regularization(self) -> f64 {
        match self {
            Learner::Logistic(a) | Learner::LinearSvm(a) | Learner::NbSvm(a) => a,
        }
    }
}

/// Naive-Bayes log-count ratio of each feature for `class` against the
/// rest, over binarised features with add-one smoothing.
fn nb_ratios(x: &Array2<f64>, y: &[usize], class: usize) -> Array1<f64> {
    let n_features = x.ncols();
    let mut p = Array1::<f64>::from_elem(n_features, 1.0);
    let mut q = Array1::<f64>::from_elem(n_features, 1.0);
    for (row, label) in x.outer_iter().zip(y) {
        let target = if *label == class { &mut p } else { &mut q };
        for (t, v) in target.iter_mut().zip(row) {
            if *v > 0.0 {
                *t += 1.0;
            }
        }
    }
    let (ps, qs) = (p.sum(), q.sum());
    p.iter()
        .zip(q.iter())
        .map(|(a, b)| ((a / ps) / (b / qs)).ln())
        .collect()
}

fn densify(rows: &[SparseVec], n_features: usize) -> Array2<f64> {
    let mut x = Array2::zeros((rows.len(), n_features));
    for (r, row) in rows.iter().enumerate() {
        for &(i, v) in row {
            x[[r, i as usize]] = f64::from(v);
        }
    }
    x
}

/// A fitted linear scorer: weights (`n_features × n_classes`) and intercept.
struct Linear {
    weights: Vec<f32>,
    intercept: Vec<f32>,
}

fn fit(
    learner: Learner,
    rows: &[SparseVec],
    y: &[usize],
    n_features: usize,
    n_classes: usize,
    max_iterations: u64,
) -> Result<Linear> {
    let x = densify(rows, n_features);
    let mut weights = vec![0f32; n_features * n_classes];
    // A class absent from the training data can never win.
    let mut intercept = vec![-1.0e4f32; n_classes];
    match learner {
        Learner::Logistic(alpha) => {
            let targets = Array1::from_vec(y.to_vec());
            let data = Dataset::new(x, targets);
            let fitted = MultiLogisticRegression::default()
                .alpha(alpha)
                .max_iterations(max_iterations)
                .fit(&data)
                .map_err(|e| TrainError::Fit {
                    learner: "logistic regression",
                    reason: e.to_string(),
                })?;
            let params = fitted.params();
            for (col, class) in fitted.classes().iter().enumerate() {
                for f in 0..n_features {
                    weights[f * n_classes + class] = params[[f, col]] as f32;
                }
                intercept[*class] = fitted.intercept()[col] as f32;
            }
        }
        Learner::LinearSvm(c) | Learner::NbSvm(c) => {
            for class in 0..n_classes {
                if !y.contains(&class) {
                    continue;
                }
                // NBSVM trains on x ⊙ r; since w·(x ⊙ r) = (w ⊙ r)·x the
                // fitted model is stored as plain weights w ⊙ r.
                let scale = match learner {
                    Learner::NbSvm(_) => Some(nb_ratios(&x, y, class)),
                    _ => None,
                };
                let features = match &scale {
                    Some(r) => &x * r,
                    None => x.clone(),
                };
                let targets: Array1<bool> = y.iter().map(|l| *l == class).collect();
                // A linear SVM sees its rows only through their inner
                // products, and linfa forms each of the n² products with a
                // fresh n_features-long array: with thousands of features
                // that was most of a training's time. Rows of the Gram
                // matrix's factor L (n×n, LLᵀ = XXᵀ) have the same inner
                // products at a fraction of the width; the hyperplane is
                // then formed from the real rows with the fitted αs.
                let gram_rows =
                    (features.nrows() < features.ncols()).then(|| gram_factor(&features));
                let data = Dataset::new(gram_rows.unwrap_or_else(|| features.clone()), targets);
                let svm = Svm::<f64, bool>::params()
                    .linear_kernel()
                    .pos_neg_weights(c, c)
                    .fit(&data)
                    .map_err(|e| TrainError::Fit {
                        learner: "linear SVM",
                        reason: e.to_string(),
                    })?;
                // The decision function is w·x − ρ. linfa keeps w private;
                // it forms it as Σᵢ yᵢαᵢxᵢ over the training rows, and so
                // does this, in the same order, so the weights are bit for
                // bit what `weighted_sum` of each unit vector returns (as
                // the test below checks) without its n_features passes
                // over w, which were four fifths of a training's time.
                let w = hyperplane(&svm, &features);
                for f in 0..n_features {
                    let r = scale.as_ref().map_or(1.0, |r| r[f]);
                    weights[f * n_classes + class] = (w[f] * r) as f32;
                }
                intercept[class] = -svm.rho as f32;
            }
        }
    }
    Ok(Linear { weights, intercept })
}

/// A factor L of the Gram matrix of `x`'s rows (LLᵀ = XXᵀ, n×n): the
/// Cholesky factor, with a pivot that rounding leaves at or below zero
/// (a row that is a combination of earlier ones, such as a duplicate) and
/// its column set to zero, since the matrix is only semi-definite.
fn gram_factor(x: &Array2<f64>) -> Array2<f64> {
    let g = x.dot(&x.t());
    let n = g.nrows();
    let largest = g.diag().iter().copied().fold(0.0f64, f64::max);
    let tiny = largest * 1e-12;
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let row_j = l.row(j).to_owned();
        let d = g[[j, j]]
            - row_j
                .slice(ndarray::s![..j])
                .dot(&row_j.slice(ndarray::s![..j]));
        if d <= tiny {
            continue;
        }
        let pivot = d.sqrt();
        l[[j, j]] = pivot;
        for i in j + 1..n {
            let dot = l
                .row(i)
                .slice(ndarray::s![..j])
                .dot(&row_j.slice(ndarray::s![..j]));
            l[[i, j]] = (g[[i, j]] - dot) / pivot;
        }
    }
    l
}

/// The separating hyperplane w of a linear-kernel SVM fitted on `x`:
/// Σᵢ αᵢxᵢ (linfa returns αᵢ already signed by the target), summed as
/// linfa sums it.
fn hyperplane(svm: &Svm<f64, bool>, x: &Array2<f64>) -> Array1<f64> {
    let mut w = Array1::<f64>::zeros(x.ncols());
    for (row, alpha) in x.outer_iter().zip(&svm.alpha) {
        w.scaled_add(*alpha, &row);
    }
    w
}

fn linear_scores(model: &Linear, x: &SparseVec, n_classes: usize) -> Vec<f32> {
    let mut s = model.intercept.clone();
    for &(i, v) in x {
        let row = &model.weights[i as usize * n_classes..(i as usize + 1) * n_classes];
        for (score, w) in s.iter_mut().zip(row) {
            *score += w * v;
        }
    }
    s
}

/// Learn a vocabulary from `train` alone and fit `learner` over it: the
/// unit of work of every cross-validation fold and leave-one-out round, so
/// that no held-out text leaks into the features.
fn fit_on(
    train: &[&Example],
    axis: Axis,
    learner: Learner,
    config: &TrainConfig,
) -> Result<(Vocabulary, Linear)> {
    let docs: Vec<&[Feature]> = train.iter().map(|e| e.features.as_slice()).collect();
    let vocab = Vocabulary::fit(&docs, config.vocabulary);
    let rows: Vec<SparseVec> = train.iter().map(|e| vocab.transform(&e.features)).collect();
    let y: Vec<usize> = train.iter().map(|e| e.labels[&axis]).collect();
    let n_classes = axis.classes().len();
    let model = fit(
        learner,
        &rows,
        &y,
        vocab.len(),
        n_classes,
        config.max_iterations,
    )?;
    Ok((vocab, model))
}

/// Out-of-fold scores of one fold: (example index, class scores).
type FoldScores = Vec<(usize, Vec<f32>)>;

/// Out-of-fold scores of `learner` on examples labelled on `axis`.
fn out_of_fold(
    examples: &[&Example],
    axis: Axis,
    folds: &[usize],
    k: usize,
    learner: Learner,
    config: &TrainConfig,
) -> Result<Vec<Vec<f32>>> {
    let n_classes = axis.classes().len();
    let per_fold: Vec<Result<FoldScores>> = (0..k)
        .into_par_iter()
        .map(|fold| {
            let train: Vec<&Example> = examples
                .iter()
                .zip(folds)
                .filter(|(_, f)| **f != fold)
                .map(|(e, _)| *e)
                .collect();
            let (vocab, model) = fit_on(&train, axis, learner, config)?;
            Ok(examples
                .iter()
                .enumerate()
                .filter(|(i, _)| folds[*i] == fold)
                .map(|(i, e)| {
                    (
                        i,
                        linear_scores(&model, &vocab.transform(&e.features), n_classes),
                    )
                })
                .collect())
        })
        .collect();
    let mut scores = vec![Vec::new(); examples.len()];
    for fold in per_fold {
        for (i, s) in fold? {
            scores[i] = s;
        }
    }
    Ok(scores)
}

/// The softmax temperature that minimises the log-loss of out-of-fold
/// scores: one parameter, so it cannot overfit, and it turns SVM margins
/// and over-confident logits alike into calibrated probabilities.
fn fit_temperature(scores: &[Vec<f32>], truth: &[usize]) -> f32 {
    let nll = |t: f32| -> f64 {
        scores
            .iter()
            .zip(truth)
            .map(|(s, y)| -super::model::softmax(s, t)[*y].max(1e-12).ln())
            .sum()
    };
    let mut best = (1.0f32, nll(1.0));
    for step in 0..=160 {
        let t = (0.02f32.ln() + (50f32.ln() - 0.02f32.ln()) * step as f32 / 160.0).exp();
        let v = nll(t);
        if v < best.1 {
            best = (t, v);
        }
    }
    best.0
}

/// The outcome of cross-validating every configuration on one axis.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The axis.
    pub axis: Axis,
    /// Every configuration and its CV scores.
    pub candidates: Vec<Candidate>,
    /// The chosen learner.
    pub chosen: Learner,
    /// Calibrated CV metrics of the chosen learner.
    pub metrics: Metrics,
    /// Temperature fitted on the out-of-fold scores.
    pub temperature: f32,
    /// Record ids in evaluation order, with their fold.
    pub folds: Vec<(String, usize)>,
    /// Out-of-fold calibrated probabilities of the chosen learner.
    pub probabilities: Vec<Vec<f64>>,
    /// True class indices.
    pub truth: Vec<usize>,
}

/// Cross-validate every configuration on `axis` and pick the best by
/// macro-F1 (ties: the simpler, earlier one).
pub fn select(examples: &[Example], axis: Axis, config: &TrainConfig) -> Result<Selection> {
    let labelled: Vec<&Example> = examples
        .iter()
        .filter(|e| e.labels.contains_key(&axis))
        .collect();
    let truth: Vec<usize> = labelled.iter().map(|e| e.labels[&axis]).collect();
    let classes: Vec<&str> = axis.classes().to_vec();
    let smallest = (0..classes.len())
        .map(|c| truth.iter().filter(|t| **t == c).count())
        .filter(|n| *n > 0)
        .min()
        .unwrap_or(0);
    if labelled.len() < config.folds * 2 || smallest < 2 {
        return Err(TrainError::TooFewExamples {
            axis,
            examples: labelled.len(),
            smallest,
            folds: config.folds,
        }
        .into());
    }
    let k = config.folds.min(smallest.max(2));
    let folds = stratified_folds(&truth, k, config.seed);
    let learners: Vec<Learner> = config
        .logistic_alphas
        .iter()
        .map(|a| Learner::Logistic(*a))
        .chain(config.svm_cs.iter().map(|c| Learner::LinearSvm(*c)))
        .chain(config.nbsvm_cs.iter().map(|c| Learner::NbSvm(*c)))
        .collect();
    let mut candidates = Vec::new();
    let mut best: Option<(usize, Vec<Vec<f32>>, f64)> = None;
    for (i, learner) in learners.iter().enumerate() {
        let scores = out_of_fold(&labelled, axis, &folds, k, *learner, config)?;
        let probs: Vec<Vec<f64>> = scores
            .iter()
            .map(|s| super::model::softmax(s, 1.0))
            .collect();
        let m = metrics::compute(&classes, &truth, &probs);
        candidates.push(Candidate {
            algorithm: learner.algorithm(),
            regularization: learner.regularization(),
            macro_f1: m.macro_f1,
            accuracy: m.accuracy,
        });
        if best.as_ref().is_none_or(|b| m.macro_f1 > b.2 + 1e-12) {
            best = Some((i, scores, m.macro_f1));
        }
    }
    // `check` guarantees at least one learner.
    let (chosen, scores, _) = best.expect("at least one configuration was tried");
    let temperature = fit_temperature(&scores, &truth);
    let probabilities: Vec<Vec<f64>> = scores
        .iter()
        .map(|s| super::model::softmax(s, temperature))
        .collect();
    let metrics = metrics::compute(&classes, &truth, &probabilities);
    Ok(Selection {
        axis,
        candidates,
        chosen: learners[chosen],
        metrics,
        temperature,
        folds: labelled.iter().map(|e| e.id.clone()).zip(folds).collect(),
        probabilities,
        truth,
    })
}

/// Fit `learner` on every labelled example of `axis` over `vocab`.
fn fit_head(
    examples: &[Example],
    vocab: &Vocabulary,
    selection: &Selection,
    config: &TrainConfig,
) -> Result<Head> {
    let axis = selection.axis;
    let labelled: Vec<&Example> = examples
        .iter()
        .filter(|e| e.labels.contains_key(&axis))
        .collect();
    let rows: Vec<SparseVec> = labelled
        .iter()
        .map(|e| vocab.transform(&e.features))
        .collect();
    let y: Vec<usize> = labelled.iter().map(|e| e.labels[&axis]).collect();
    let n_classes = axis.classes().len();
    let model = fit(
        selection.chosen,
        &rows,
        &y,
        vocab.len(),
        n_classes,
        config.max_iterations,
    )?;
    Ok(Head {
        axis,
        classes: axis.classes().iter().map(|c| c.to_string()).collect(),
        algorithm: selection.chosen.algorithm(),
        regularization: selection.chosen.regularization(),
        temperature: selection.temperature,
        weights: model.weights,
        intercept: model.intercept,
        metrics: selection.metrics.clone(),
        comparison: selection.candidates.clone(),
        review_threshold: 0.0,
    })
}

/// Train the full model from a corpus. `corpus_sha256` and `corpus_files`
/// are recorded as provenance.
pub fn train(
    records: &[Record],
    config: &TrainConfig,
    corpus_sha256: String,
    corpus_files: Vec<String>,
) -> Result<Model> {
    config.check()?;
    let mut featurizers = Vec::new();
    let mut heads = Vec::new();
    let mut counts = BTreeMap::new();
    for kind in Kind::ALL {
        let examples: Vec<Example> = examples_of(records, kind)
            .into_iter()
            .filter(|e| !e.labels.is_empty())
            .collect();
        counts.insert(kind.name().to_string(), examples.len());
        if examples.is_empty() {
            continue;
        }
        let docs: Vec<&[Feature]> = examples.iter().map(|e| e.features.as_slice()).collect();
        let vocabulary = Vocabulary::fit(&docs, config.vocabulary);
        for &axis in kind.axes() {
            let selection = select(&examples, axis, config)?;
            heads.push(fit_head(&examples, &vocabulary, &selection, config)?);
        }
        featurizers.push(Featurizer {
            kind,
            config: config.vocabulary,
            vocabulary,
        });
    }
    if heads.is_empty() {
        return Err(TrainError::NoLabels.into());
    }
    Ok(Model {
        format_version: FORMAT_VERSION,
        typology: current_typology(),
        analyzer: analyze::SETTINGS.to_string(),
        training: Provenance {
            corpus_sha256,
            corpus_files,
            trained_on: config.date.clone(),
            seed: config.seed,
            folds: config.folds,
            examples: counts,
            review_set: None,
            corrections: None,
        },
        featurizers,
        heads,
        checksum: String::new(),
    })
}

/// Leave-one-out predictions for the records `ids` on `axis`, using the
/// given learner and temperature: each record is predicted by a model
/// trained on every other labelled record.
pub fn leave_one_out(
    examples: &[Example],
    axis: Axis,
    ids: &[&str],
    learner: Learner,
    temperature: f32,
    config: &TrainConfig,
) -> Result<Vec<(String, Vec<f64>)>> {
    let n_classes = axis.classes().len();
    ids.par_iter()
        .filter_map(|id| examples.iter().position(|e| e.id == *id))
        .map(|held| {
            let train: Vec<&Example> = examples
                .iter()
                .enumerate()
                .filter(|(i, e)| *i != held && e.labels.contains_key(&axis))
                .map(|(_, e)| e)
                .collect();
            let (vocab, model) = fit_on(&train, axis, learner, config)?;
            let s = linear_scores(
                &model,
                &vocab.transform(&examples[held].features),
                n_classes,
            );
            Ok((
                examples[held].id.clone(),
                super::model::softmax(&s, temperature),
            ))
        })
        .collect()
}

/// Nested cross-validation: in each outer fold, the configuration and
/// temperature are chosen by an inner cross-validation on the outer
/// training part only, then scored on the held-out part. Unlike the
/// metrics of [`select`], these are not flattered by choosing among
/// configurations on the evaluation folds themselves.
pub fn nested(examples: &[Example], axis: Axis, config: &TrainConfig) -> Result<NestedReport> {
    let labelled: Vec<&Example> = examples
        .iter()
        .filter(|e| e.labels.contains_key(&axis))
        .collect();
    let truth: Vec<usize> = labelled.iter().map(|e| e.labels[&axis]).collect();
    let k = config.folds;
    let folds = stratified_folds(&truth, k, config.seed);
    let n_classes = axis.classes().len();
    let mut probabilities = vec![Vec::new(); labelled.len()];
    let mut chosen = Vec::with_capacity(k);
    for fold in 0..k {
        let train: Vec<&Example> = labelled
            .iter()
            .zip(&folds)
            .filter(|(_, f)| **f != fold)
            .map(|(e, _)| *e)
            .collect();
        let owned: Vec<Example> = train.iter().map(|e| (*e).clone()).collect();
        let inner = select(&owned, axis, config)?;
        let (vocab, model) = fit_on(&train, axis, inner.chosen, config)?;
        for (i, e) in labelled
            .iter()
            .enumerate()
            .filter(|(i, _)| folds[*i] == fold)
        {
            let s = linear_scores(&model, &vocab.transform(&e.features), n_classes);
            probabilities[i] = super::model::softmax(&s, inner.temperature);
        }
        chosen.push(Candidate {
            algorithm: inner.chosen.algorithm(),
            regularization: inner.chosen.regularization(),
            macro_f1: inner.metrics.macro_f1,
            accuracy: inner.metrics.accuracy,
        });
    }
    let classes: Vec<&str> = axis.classes().to_vec();
    Ok(NestedReport {
        metrics: metrics::compute(&classes, &truth, &probabilities),
        chosen_per_fold: chosen,
    })
}

/// Outcome of [`nested`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct NestedReport {
    /// Metrics over the outer folds.
    pub metrics: Metrics,
    /// The configuration the inner cross-validation chose in each outer
    /// fold, with its inner score.
    pub chosen_per_fold: Vec<Candidate>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::model::softmax;

    /// Deterministic pseudo-random numbers in `[0, 1)`.
    fn uniform(rng: &mut SplitMix) -> f64 {
        (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn the_gram_factor_keeps_every_inner_product_even_of_duplicate_rows() {
        let mut rng = SplitMix(11);
        let (n, d) = (30, 200);
        let mut x = Array2::from_shape_fn((n, d), |_| {
            let u = uniform(&mut rng);
            if u < 0.9 {
                0.0
            } else {
                u
            }
        });
        // A duplicate, a zero row and a sum of two rows: rank-deficient.
        let r3 = x.row(3).to_owned();
        x.row_mut(7).assign(&r3);
        x.row_mut(8).fill(0.0);
        let sum = &x.row(1) + &x.row(2);
        x.row_mut(9).assign(&sum);
        let l = gram_factor(&x);
        let g = x.dot(&x.t());
        let back = l.dot(&l.t());
        let scale = g.iter().copied().fold(0.0f64, f64::max);
        for (a, b) in g.iter().zip(back.iter()) {
            assert!((a - b).abs() <= 1e-9 * scale, "{a} vs {b}");
        }
    }

    #[test]
    fn the_hyperplane_is_what_the_svm_answers_for_each_unit_vector() {
        // Sparse non-negative rows, as term weights are, on two classes.
        let mut rng = SplitMix(7);
        let (n, d) = (60, 40);
        let x = Array2::from_shape_fn((n, d), |_| {
            let u = uniform(&mut rng);
            if u < 0.7 {
                0.0
            } else {
                u
            }
        });
        let y: Array1<bool> = (0..n).map(|i| x[[i, 0]] + x[[i, 1]] > x[[i, 2]]).collect();
        let data = Dataset::new(x.clone(), y);
        let svm = Svm::<f64, bool>::params()
            .linear_kernel()
            .pos_neg_weights(1.0, 1.0)
            .fit(&data)
            .unwrap();
        let w = hyperplane(&svm, &x);
        for f in 0..d {
            let mut e = Array1::<f64>::zeros(d);
            e[f] = 1.0;
            assert_eq!(
                w[f].to_bits(),
                svm.weighted_sum(&e).to_bits(),
                "feature {f}"
            );
        }
    }

    #[test]
    fn folds_spread_every_class_and_depend_only_on_the_seed() {
        // Unbalanced classes, as in the corpus: 61, 23, 9 and 5 examples,
        // interleaved.
        let sizes = [61, 23, 9, 5];
        let mut labels = Vec::new();
        for round in 0..61 {
            for (class, size) in sizes.iter().enumerate() {
                if round < *size {
                    labels.push(class);
                }
            }
        }
        let k = 5;
        let folds = stratified_folds(&labels, k, 42);
        assert_eq!(folds.len(), labels.len());
        assert!(folds.iter().all(|f| *f < k));
        for (class, size) in sizes.iter().enumerate() {
            let mut per_fold = vec![0; k];
            for (label, fold) in labels.iter().zip(&folds) {
                if *label == class {
                    per_fold[*fold] += 1;
                }
            }
            let (min, max) = (
                per_fold.iter().min().unwrap(),
                per_fold.iter().max().unwrap(),
            );
            assert!(max - min <= 1, "class {class} ({size}): {per_fold:?}");
            if *size >= k {
                assert!(*min >= 1, "class {class} is in every fold: {per_fold:?}");
            }
        }
        let mut sizes_per_fold = vec![0; k];
        for f in &folds {
            sizes_per_fold[*f] += 1;
        }
        let spread = sizes_per_fold.iter().max().unwrap() - sizes_per_fold.iter().min().unwrap();
        assert!(spread <= 1, "fold sizes {sizes_per_fold:?}");
        assert_eq!(folds, stratified_folds(&labels, k, 42), "same seed");
        assert_ne!(folds, stratified_folds(&labels, k, 43), "another seed");
    }

    /// Scores whose labels were drawn from `softmax(scores / t)`: a model
    /// over-confident (t > 1) or under-confident (t < 1) by a factor `t`.
    fn synthetic(t: f32, n: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rng = SplitMix(seed);
        let mut scores = Vec::new();
        let mut truth = Vec::new();
        for _ in 0..n {
            let s: Vec<f32> = (0..3)
                .map(|_| (uniform(&mut rng) * 8.0 - 4.0) as f32)
                .collect();
            let p = softmax(&s, t);
            let u = uniform(&mut rng);
            let mut acc = 0.0;
            let label = p
                .iter()
                .position(|q| {
                    acc += q;
                    u < acc
                })
                .unwrap_or(p.len() - 1);
            scores.push(s);
            truth.push(label);
        }
        (scores, truth)
    }

    fn nll(scores: &[Vec<f32>], truth: &[usize], t: f32) -> f64 {
        scores
            .iter()
            .zip(truth)
            .map(|(s, y)| -softmax(s, t)[*y].max(1e-12).ln())
            .sum()
    }

    #[test]
    fn temperature_fitting_recovers_a_known_temperature() {
        for (known, seed) in [(2.5f32, 1), (0.5, 2), (1.0, 3)] {
            let (scores, truth) = synthetic(known, 5000, seed);
            let fitted = fit_temperature(&scores, &truth);
            assert!(
                (fitted / known - 1.0).abs() < 0.15,
                "known {known}, fitted {fitted}"
            );
        }
    }

    #[test]
    fn temperature_fitting_never_does_worse_than_none() {
        for seed in 0..20 {
            let known = [0.3f32, 1.0, 4.0][seed as usize % 3];
            // Few examples, so the best temperature on them is noisy.
            let (scores, truth) = synthetic(known, 12, seed);
            let fitted = fit_temperature(&scores, &truth);
            assert!(
                nll(&scores, &truth, fitted) <= nll(&scores, &truth, 1.0),
                "seed {seed}: T={fitted} is worse than T=1"
            );
        }
    }

    #[test]
    fn train_config_check_names_each_bad_setting() {
        let good = TrainConfig {
            date: "2026-11-29".into(),
            ..TrainConfig::default()
        };
        assert_eq!(good.check(), Ok(()));
        let bad: Vec<(&str, TrainConfig)> = vec![
            (
                "folds",
                TrainConfig {
                    folds: 1,
                    ..good.clone()
                },
            ),
            (
                "folds",
                TrainConfig {
                    folds: MAX_FOLDS + 1,
                    ..good.clone()
                },
            ),
            (
                "vocabulary.min_df",
                TrainConfig {
                    vocabulary: VocabularyConfig {
                        min_df: 0,
                        ..good.vocabulary
                    },
                    ..good.clone()
                },
            ),
            (
                "vocabulary.max_features",
                TrainConfig {
                    vocabulary: VocabularyConfig {
                        max_features: 0,
                        ..good.vocabulary
                    },
                    ..good.clone()
                },
            ),
            (
                "logistic_alphas, svm_cs, nbsvm_cs",
                TrainConfig {
                    logistic_alphas: vec![],
                    svm_cs: vec![],
                    nbsvm_cs: vec![],
                    ..good.clone()
                },
            ),
            (
                "logistic_alphas",
                TrainConfig {
                    logistic_alphas: vec![0.1, 0.0],
                    ..good.clone()
                },
            ),
            (
                "svm_cs",
                TrainConfig {
                    svm_cs: vec![f64::NAN],
                    ..good.clone()
                },
            ),
            (
                "nbsvm_cs",
                TrainConfig {
                    nbsvm_cs: vec![-1.0],
                    ..good.clone()
                },
            ),
            (
                "max_iterations",
                TrainConfig {
                    max_iterations: 0,
                    ..good.clone()
                },
            ),
            (
                "date",
                TrainConfig {
                    date: "2026-02-30".into(),
                    ..good.clone()
                },
            ),
            (
                "date",
                TrainConfig {
                    date: "29.11.2026".into(),
                    ..good.clone()
                },
            ),
            // The default leaves the date to the caller.
            ("date", TrainConfig::default()),
        ];
        for (setting, config) in bad {
            match config.check() {
                Err(TrainError::Setting { name, reason }) => {
                    assert_eq!(name, setting, "{reason}");
                    let message = config.check().unwrap_err().to_string();
                    assert!(message.contains(setting), "{message}");
                }
                other => panic!("{setting}: {other:?}"),
            }
        }
        // Only some learners is fine.
        let svm_only = TrainConfig {
            logistic_alphas: vec![],
            nbsvm_cs: vec![],
            ..good.clone()
        };
        assert_eq!(svm_only.check(), Ok(()));
        let leap_day = TrainConfig {
            date: "2028-02-29".into(),
            ..good
        };
        assert_eq!(leap_day.check(), Ok(()));
    }
}
