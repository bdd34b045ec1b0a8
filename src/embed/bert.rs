//! The BERT encoder of all-MiniLM-L6-v2, written over ndarray.
//!
//! Why not candle: candle-transformers adds about five minutes to a clean
//! build on two cores (it compiles every architecture) for what is, for
//! one small encoder, a few dozen lines of matrix products, layer norms
//! and a softmax. ndarray and matrixmultiply are already in the tree.
//!
//! Why the batch is never padded: every step but attention works token by
//! token, so the tokens of all texts of a batch are stacked into one
//! matrix (one large GEMM per projection, no work on padding), and only
//! attention is computed text by text (in parallel with rayon). Padding a
//! batch of windows of unequal length to the longest one, as candle's
//! batches do, spends a third or more of the work on padding tokens.
//!
//! Compute is f32: the weights are stored as f16 on disk and upcast on
//! load (f16 compute is 2–3× slower than f32 on these CPUs, stack notes).

use ndarray::{s, Array1, Array2, ArrayView2, ArrayViewMut1, Axis, Zip};
use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};

/// Hidden size of all-MiniLM-L6-v2.
pub const HIDDEN: usize = 384;
const HEADS: usize = 12;
const HEAD_DIM: usize = HIDDEN / HEADS;
const INTERMEDIATE: usize = 1536;
const LAYERS: usize = 6;
const VOCAB: usize = 30522;
/// Longest input the position embeddings cover.
pub const MAX_POSITIONS: usize = 512;
const LAYER_NORM_EPS: f32 = 1e-12;

/// A dense layer `x · w + b`, `w` stored as (inputs × outputs).
struct Linear {
    w: Array2<f32>,
    b: Array1<f32>,
}

impl Linear {
    fn forward(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        let mut y = x.dot(&self.w);
        y += &self.b;
        y
    }
}

struct LayerNorm {
    gamma: Array1<f32>,
    beta: Array1<f32>,
}

impl LayerNorm {
    /// Normalises each row in place.
    fn apply(&self, x: &mut Array2<f32>) {
        x.axis_iter_mut(Axis(0))
            .into_par_iter()
            .for_each(|row| self.apply_row(row));
    }

    fn apply_row(&self, mut row: ArrayViewMut1<f32>) {
        let n = row.len() as f32;
        let mean = row.sum() / n;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let inv = 1.0 / (var + LAYER_NORM_EPS).sqrt();
        Zip::from(&mut row)
            .and(&self.gamma)
            .and(&self.beta)
            .for_each(|v, g, b| *v = (*v - mean) * inv * g + b);
    }
}

struct Layer {
    /// Query, key and value projections side by side (384 × 1152): one
    /// GEMM instead of three.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// The encoder's weights, in f32.
pub struct Bert {
    word: Array2<f32>,
    position: Array2<f32>,
    token_type: Array1<f32>,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
}

/// Why a weights file cannot be used.
#[derive(Debug)]
pub struct WeightsError(pub String);

fn tensor(st: &SafeTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>, WeightsError> {
    let t = st
        .tensor(name)
        .map_err(|e| WeightsError(format!("tensor `{name}`: {e}")))?;
    if t.shape() != shape {
        return Err(WeightsError(format!(
            "tensor `{name}` has shape {:?}, expected {shape:?}",
            t.shape()
        )));
    }
    let data = t.data();
    match t.dtype() {
        Dtype::F16 => Ok(data
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect()),
        Dtype::F32 => Ok(data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()),
        other => Err(WeightsError(format!(
            "tensor `{name}` is {other:?}, expected F16 or F32"
        ))),
    }
}

fn vector(st: &SafeTensors, name: &str, len: usize) -> Result<Array1<f32>, WeightsError> {
    Ok(Array1::from(tensor(st, name, &[len])?))
}

fn matrix(
    st: &SafeTensors,
    name: &str,
    rows: usize,
    cols: usize,
) -> Result<Array2<f32>, WeightsError> {
    let v = tensor(st, name, &[rows, cols])?;
    Ok(Array2::from_shape_vec((rows, cols), v).expect("shape checked"))
}

/// A PyTorch linear layer (weight stored as outputs × inputs), transposed
/// to inputs × outputs in standard layout.
fn linear(
    st: &SafeTensors,
    prefix: &str,
    inputs: usize,
    outputs: usize,
) -> Result<Linear, WeightsError> {
    let w = matrix(st, &format!("{prefix}.weight"), outputs, inputs)?;
    Ok(Linear {
        w: w.t().as_standard_layout().into_owned(),
        b: vector(st, &format!("{prefix}.bias"), outputs)?,
    })
}

fn layer_norm(st: &SafeTensors, prefix: &str) -> Result<LayerNorm, WeightsError> {
    Ok(LayerNorm {
        gamma: vector(st, &format!("{prefix}.weight"), HIDDEN)?,
        beta: vector(st, &format!("{prefix}.bias"), HIDDEN)?,
    })
}

impl Bert {
    /// Reads the weights from a safetensors file's bytes (f16 or f32).
    pub fn from_safetensors(bytes: &[u8]) -> Result<Bert, WeightsError> {
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| WeightsError(format!("not a safetensors file: {e}")))?;
        let mut layers = Vec::with_capacity(LAYERS);
        for i in 0..LAYERS {
            let p = format!("encoder.layer.{i}");
            let q = linear(&st, &format!("{p}.attention.self.query"), HIDDEN, HIDDEN)?;
            let k = linear(&st, &format!("{p}.attention.self.key"), HIDDEN, HIDDEN)?;
            let v = linear(&st, &format!("{p}.attention.self.value"), HIDDEN, HIDDEN)?;
            let qkv = Linear {
                w: ndarray::concatenate(Axis(1), &[q.w.view(), k.w.view(), v.w.view()])
                    .expect("same rows"),
                b: ndarray::concatenate(Axis(0), &[q.b.view(), k.b.view(), v.b.view()])
                    .expect("vectors"),
            };
            layers.push(Layer {
                qkv,
                attention_out: linear(&st, &format!("{p}.attention.output.dense"), HIDDEN, HIDDEN)?,
                attention_norm: layer_norm(&st, &format!("{p}.attention.output.LayerNorm"))?,
                intermediate: linear(
                    &st,
                    &format!("{p}.intermediate.dense"),
                    HIDDEN,
                    INTERMEDIATE,
                )?,
                output: linear(&st, &format!("{p}.output.dense"), INTERMEDIATE, HIDDEN)?,
                output_norm: layer_norm(&st, &format!("{p}.output.LayerNorm"))?,
            });
        }
        let token_type = matrix(&st, "embeddings.token_type_embeddings.weight", 2, HIDDEN)?;
        Ok(Bert {
            word: matrix(&st, "embeddings.word_embeddings.weight", VOCAB, HIDDEN)?,
            position: matrix(
                &st,
                "embeddings.position_embeddings.weight",
                MAX_POSITIONS,
                HIDDEN,
            )?,
            token_type: token_type.row(0).to_owned(),
            embedding_norm: layer_norm(&st, "embeddings.LayerNorm")?,
            layers,
        })
    }

    /// Mean-pooled, L2-normalised embeddings of token-id sequences (each
    /// already bounded by the tokenizer; ids checked against the
    /// vocabulary), one row per sequence.
    pub fn embed(&self, sequences: &[Vec<u32>]) -> Array2<f32> {
        let mut out = Array2::zeros((sequences.len(), HIDDEN));
        // An empty sequence (never produced by the tokenizer, which adds
        // [CLS] and [SEP]) keeps a zero row.
        let offsets: Vec<(usize, usize)> = sequences
            .iter()
            .scan(0, |start, s| {
                let range = (*start, s.len().min(MAX_POSITIONS));
                *start += range.1;
                Some(range)
            })
            .collect();
        let total: usize = offsets.iter().map(|r| r.1).sum();
        if total == 0 {
            return out;
        }
        let mut x = Array2::zeros((total, HIDDEN));
        for (seq, &(start, len)) in sequences.iter().zip(&offsets) {
            for (pos, &id) in seq.iter().take(len).enumerate() {
                let id = (id as usize).min(VOCAB - 1);
                let mut row = x.row_mut(start + pos);
                row.assign(&self.word.row(id));
                row += &self.position.row(pos);
                row += &self.token_type;
            }
        }
        self.embedding_norm.apply(&mut x);
        for layer in &self.layers {
            x = self.layer(layer, x, &offsets);
        }
        for (i, &(start, len)) in offsets.iter().enumerate() {
            if len == 0 {
                continue;
            }
            let mean = x
                .slice(s![start..start + len, ..])
                .mean_axis(Axis(0))
                .expect("non-empty");
            // sentence-transformers' Normalize: x / max(‖x‖, 1e-12).
            let norm = mean.dot(&mean).sqrt().max(1e-12);
            out.row_mut(i).assign(&(mean / norm));
        }
        out
    }

    fn layer(&self, layer: &Layer, mut x: Array2<f32>, offsets: &[(usize, usize)]) -> Array2<f32> {
        let qkv = layer.qkv.forward(&x.view());
        let contexts: Vec<Array2<f32>> = offsets
            .par_iter()
            .map(|&(start, len)| attention(qkv.slice(s![start..start + len, ..])))
            .collect();
        let mut context = Array2::zeros((x.nrows(), HIDDEN));
        for (&(start, len), c) in offsets.iter().zip(&contexts) {
            context.slice_mut(s![start..start + len, ..]).assign(c);
        }
        x += &layer.attention_out.forward(&context.view());
        layer.attention_norm.apply(&mut x);

        let mut h = layer.intermediate.forward(&x.view());
        h.as_slice_mut()
            .expect("standard layout")
            .par_chunks_mut(4096)
            .for_each(|c| c.iter_mut().for_each(|v| *v = gelu(*v)));
        x += &layer.output.forward(&h.view());
        layer.output_norm.apply(&mut x);
        x
    }
}

/// Self-attention of one text, all heads: `qkv` holds the text's query,
/// key and value projections side by side (len × 1152). No mask: the text
/// is not padded.
fn attention(qkv: ArrayView2<f32>) -> Array2<f32> {
    let len = qkv.nrows();
    let scale = 1.0 / (HEAD_DIM as f32).sqrt();
    let mut context = Array2::zeros((len, HIDDEN));
    for h in 0..HEADS {
        let cols = h * HEAD_DIM..(h + 1) * HEAD_DIM;
        let q = qkv.slice(s![.., cols.clone()]);
        let k = qkv.slice(s![.., HIDDEN + cols.start..HIDDEN + cols.end]);
        let v = qkv.slice(s![.., 2 * HIDDEN + cols.start..2 * HIDDEN + cols.end]);
        let mut scores = q.dot(&k.t());
        for mut row in scores.axis_iter_mut(Axis(0)) {
            let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v * scale));
            let mut sum = 0.0;
            row.mapv_inplace(|v| {
                let e = (v * scale - max).exp();
                sum += e;
                e
            });
            row /= sum;
        }
        context.slice_mut(s![.., cols]).assign(&scores.dot(&v));
    }
    context
}

/// BERT's exact GELU, x · Φ(x).
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}
