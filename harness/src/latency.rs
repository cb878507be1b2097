//! Per-message latency (MAELSTROM.md §5.1): zero when either end is a client, otherwise one
//! draw from the `--latency-dist` distribution with mean `--latency`, truncated to whole ms.

use rand::Rng;

use crate::cli::LatencyDist;
use crate::journal::is_client;

/// The latency model of a run.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub mean_ms: u64,
    pub dist: LatencyDist,
}

impl Latency {
    /// Milliseconds for one message from `src` to `dest`.
    ///
    /// A mean of 0 gives 0 for every distribution (real Maelstrom hangs or fails there).
    pub fn draw(&self, src: &str, dest: &str, rng: &mut impl Rng) -> u64 {
        if is_client(src) || is_client(dest) || self.mean_ms == 0 {
            return 0;
        }
        self.sample(rng)
    }

    /// One draw from the distribution, ignoring endpoints.
    pub fn sample(&self, rng: &mut impl Rng) -> u64 {
        let m = self.mean_ms;
        if m == 0 {
            return 0;
        }
        match self.dist {
            LatencyDist::Constant => m,
            LatencyDist::Uniform => rng.random_range(0..2 * m),
            LatencyDist::Exponential => {
                // Inverse transform: -ln(U) * mean, U in (0, 1].
                let u: f64 = 1.0 - rng.random::<f64>();
                (-u.ln() * m as f64) as u64
            }
        }
    }
}
