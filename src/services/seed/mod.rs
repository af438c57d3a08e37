//! Data for trying and measuring the product: the demo network seeded on a first start in
//! development (`demo`: three hospitals, their staff, the portal patients) and the
//! deterministic synthetic patients with HIV histories used by the demo and the benchmarks
//! (`synthetic`).

pub mod demo;
pub mod synthetic;
