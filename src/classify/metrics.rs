//! Evaluation metrics: per-class precision/recall/F1, macro-F1, accuracy,
//! confusion matrix, and calibration (Brier score, expected calibration
//! error).

use serde::{Deserialize, Serialize};

/// Scores of one class.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassScores {
    /// Class name.
    pub class: String,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Number of true examples.
    pub support: usize,
}

/// Metrics of one axis.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    /// Examples evaluated.
    pub n: usize,
    /// Share predicted correctly.
    pub accuracy: f64,
    /// Unweighted mean of per-class F1.
    pub macro_f1: f64,
    /// Per class.
    pub classes: Vec<ClassScores>,
    /// `confusion[true][predicted]`, classes in typology order.
    pub confusion: Vec<Vec<usize>>,
    /// Mean over examples of the squared distance between the probability
    /// vector and the one-hot truth (0 is perfect, 2 the worst).
    pub brier: f64,
    /// Expected calibration error over 10 equal-width confidence bins.
    pub ece: f64,
}

/// Compute metrics from true class indices and predicted probabilities.
pub fn compute(classes: &[&str], truth: &[usize], probs: &[Vec<f64>]) -> Metrics {
    let k = classes.len();
    let n = truth.len();
    let mut confusion = vec![vec![0usize; k]; k];
    let mut brier = 0.0;
    let mut bins = [(0usize, 0.0f64, 0.0f64); 10];
    for (t, p) in truth.iter().zip(probs) {
        let pred = argmax(p);
        confusion[*t][pred] += 1;
        for (c, pc) in p.iter().enumerate() {
            let target = if c == *t { 1.0 } else { 0.0 };
            brier += (pc - target).powi(2);
        }
        let conf = p[pred];
        let b = ((conf * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += conf;
        bins[b].2 += if pred == *t { 1.0 } else { 0.0 };
    }
    let nf = n.max(1) as f64;
    let ece = bins
        .iter()
        .filter(|b| b.0 > 0)
        .map(|(count, conf, correct)| {
            let c = *count as f64;
            (c / nf) * (conf / c - correct / c).abs()
        })
        .sum();
    let mut scores = Vec::with_capacity(k);
    for c in 0..k {
        let tp = confusion[c][c] as f64;
        let predicted: usize = (0..k).map(|t| confusion[t][c]).sum();
        let support: usize = confusion[c].iter().sum();
        let precision = if predicted == 0 {
            0.0
        } else {
            tp / predicted as f64
        };
        let recall = if support == 0 {
            0.0
        } else {
            tp / support as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        scores.push(ClassScores {
            class: classes[c].to_string(),
            precision,
            recall,
            f1,
            support,
        });
    }
    let present: Vec<&ClassScores> = scores.iter().filter(|s| s.support > 0).collect();
    let macro_f1 = present.iter().map(|s| s.f1).sum::<f64>() / present.len().max(1) as f64;
    let correct: usize = (0..k).map(|c| confusion[c][c]).sum();
    Metrics {
        n,
        accuracy: correct as f64 / nf,
        macro_f1,
        classes: scores,
        confusion,
        brier: brier / nf,
        ece,
    }
}

/// Index of the largest value (first on ties).
pub fn argmax(p: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in p.iter().enumerate() {
        if *v > p[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_predictions_score_one_and_zero_error() {
        let m = compute(
            &["a", "b"],
            &[0, 1, 1],
            &[vec![1.0, 0.0], vec![0.0, 1.0], vec![0.0, 1.0]],
        );
        assert_eq!(m.macro_f1, 1.0);
        assert_eq!(m.brier, 0.0);
        assert_eq!(m.ece, 0.0);
        assert_eq!(m.confusion, vec![vec![1, 0], vec![0, 2]]);
    }

    #[test]
    fn overconfident_mistakes_show_in_ece() {
        let m = compute(&["a", "b"], &[0, 0], &[vec![0.05, 0.95], vec![0.95, 0.05]]);
        assert!((m.accuracy - 0.5).abs() < 1e-12);
        assert!((m.ece - 0.45).abs() < 1e-9, "{}", m.ece);
    }
}
