//! Seeded randomness. One master seed (`--seed`, or a fresh one that the run logs) derives an
//! independent stream per concern, so that e.g. latency draws do not shift the generator.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Which part of the harness a random stream serves.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Generator,
    Latency,
    Nemesis,
    Services,
}

/// The run's master seed.
#[derive(Debug, Clone, Copy)]
pub struct Seeds {
    pub master: u64,
}

impl Seeds {
    /// Use `seed` if given, else draw one from the OS.
    pub fn new(seed: Option<u64>) -> Seeds {
        Seeds {
            master: seed.unwrap_or_else(|| rand::rng().random()),
        }
    }

    /// A generator for one stream.
    pub fn stream(&self, s: Stream) -> StdRng {
        let salt: u64 = match s {
            Stream::Generator => 0x9e37_79b9_7f4a_7c15,
            Stream::Latency => 0xbf58_476d_1ce4_e5b9,
            Stream::Nemesis => 0x94d0_49bb_1331_11eb,
            Stream::Services => 0x2545_f491_4f6c_dd1d,
        };
        StdRng::seed_from_u64(self.master ^ salt)
    }
}

/// A uniform draw in `[0, 1)`.
pub fn unit(rng: &mut impl Rng) -> f64 {
    rng.random::<f64>()
}
