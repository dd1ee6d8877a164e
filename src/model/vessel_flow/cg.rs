//! Jacobi-preconditioned conjugate gradients on a symmetric CSR matrix, f64, in a fixed
//! summation order (row by row, entries in insertion order) so results are bitwise
//! reproducible. Sequential on purpose: a parallel reduction would change the bits.

use super::FlowError;

/// Compressed sparse rows; duplicate column entries in a row are allowed (they add).
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    pub row_start: Vec<usize>,
    pub col: Vec<usize>,
    pub val: Vec<f64>,
    pub diag: Vec<f64>,
}

impl Csr {
    pub fn rows(&self) -> usize {
        self.diag.len()
    }

    /// y = A x, A = diag + off-diagonal entries.
    fn mul(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate() {
            let mut acc = self.diag[i] * x[i];
            for k in self.row_start[i]..self.row_start[i + 1] {
                acc += self.val[k] * x[self.col[k]];
            }
            *yi = acc;
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0, |acc, (x, y)| acc + x * y)
}

/// Solves A x = b from x = 0 to `‖b − A x‖₂ ≤ tolerance · ‖b‖₂`. Returns the iteration
/// count and the true (recomputed) relative residual. The recursive residual of CG can
/// drift from the true one; when it claims convergence the true residual is checked and,
/// if it falls short, CG restarts from the current x (at most a few times).
pub(crate) fn solve_pcg(
    a: &Csr,
    b: &[f64],
    x: &mut [f64],
    tolerance: f64,
    max_iterations: usize,
) -> Result<(usize, f64), FlowError> {
    const RESTARTS: usize = 3;
    let n = a.rows();
    x.iter_mut().for_each(|v| *v = 0.0);
    let b_norm = dot(b, b).sqrt();
    if n == 0 || b_norm == 0.0 {
        return Ok((0, 0.0));
    }
    let inv_diag: Vec<f64> = a.diag.iter().map(|d| 1.0 / d).collect();
    let mut r = vec![0.0; n];
    let mut z = vec![0.0; n];
    let mut p = vec![0.0; n];
    let mut ap = vec![0.0; n];
    let mut iterations = 0;
    for _ in 0..=RESTARTS {
        // r = b − A x (true residual).
        a.mul(x, &mut ap);
        for i in 0..n {
            r[i] = b[i] - ap[i];
        }
        let relative = dot(&r, &r).sqrt() / b_norm;
        if relative <= tolerance {
            return Ok((iterations, relative));
        }
        for i in 0..n {
            z[i] = inv_diag[i] * r[i];
            p[i] = z[i];
        }
        let mut rz = dot(&r, &z);
        while iterations < max_iterations {
            iterations += 1;
            a.mul(&p, &mut ap);
            let p_ap = dot(&p, &ap);
            if !(p_ap > 0.0 && p_ap.is_finite()) {
                // Breakdown: the matrix is not SPD in floating point; restart from x.
                break;
            }
            let alpha = rz / p_ap;
            for i in 0..n {
                x[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
            }
            if dot(&r, &r).sqrt() / b_norm <= tolerance {
                break;
            }
            for i in 0..n {
                z[i] = inv_diag[i] * r[i];
            }
            let rz_next = dot(&r, &z);
            let beta = rz_next / rz;
            rz = rz_next;
            for i in 0..n {
                p[i] = z[i] + beta * p[i];
            }
        }
        if iterations >= max_iterations {
            break;
        }
    }
    a.mul(x, &mut ap);
    for i in 0..n {
        r[i] = b[i] - ap[i];
    }
    let true_relative = dot(&r, &r).sqrt() / b_norm;
    if true_relative <= tolerance {
        return Ok((iterations, true_relative));
    }
    Err(FlowError::NotConverged {
        iterations,
        relative_residual: true_relative,
        tolerance,
    })
}
