//! Criterion benches of the guardrail hot paths: a 1 KB prompt through every built-in detector, and
//! 1 MB of prose (throughput).
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use server::engine::guardrail::builtin::{self, AllowHosts, Builtin};
use server::engine::guardrail::pii::{detect, Entity};

fn prompt_1k() -> String {
    let base = "Hi team, please review the deployment notes for release 2.4 before Friday. The staging cluster \
        was rebuilt last week and the dashboards look healthy. Ping me at jane.doe@acme-corp.io if the \
        migration on the orders table takes longer than expected; otherwise we ship on Monday morning. \
        See https://docs.acme-corp.io/runbooks/deploy for the checklist and the rollback steps. ";
    base.repeat(4).chars().take(1024).collect()
}

fn prose_1m() -> String {
    let para = "The committee met on a grey afternoon to discuss the future of the river path. Several members \
        argued that the old stone bridge should be kept as it was, while others wanted a wider crossing for \
        bicycles and prams. After a long debate, they agreed to ask the town for a survey and to meet again \
        in the spring, when the water would be lower and the work easier to judge. It's a slow process, but \
        nobody minded; the path had waited 120 years and could wait a little longer.\n";
    para.repeat(1_048_576 / para.len() + 1).chars().take(1_048_576).collect()
}

fn all_detectors(text: &str) -> usize {
    let allow = AllowHosts::default();
    detect(text, &Entity::ALL).len() + Builtin::ALL.iter().map(|b| builtin::detect(*b, text, &allow).len()).sum::<usize>()
}

fn bench(c: &mut Criterion) {
    let p = prompt_1k();
    all_detectors(&p);
    c.bench_function("guardrail/1KB prompt, all built-in detectors", |b| b.iter(|| all_detectors(black_box(&p))));
    let prose = prose_1m();
    let mut g = c.benchmark_group("guardrail/1MB prose");
    g.throughput(Throughput::Bytes(prose.len() as u64));
    g.sample_size(10);
    g.bench_function("all built-in detectors", |b| b.iter(|| all_detectors(black_box(&prose))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
