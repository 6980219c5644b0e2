//! The points of a sweep (the cartesian product of the varied values) and shards of them.

use crate::error::{GridError, ShardError};
use crate::spec::Vary;

/// Most points one sweep may have.
pub const MAX_POINTS: usize = 1_000_000;

/// One combination of varied values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    /// Position in the grid: the last varied field changes fastest, so point 0 takes every
    /// first value.
    pub index: usize,
    /// `(path, value)` for each varied field, in vary order.
    pub assignments: Vec<(String, String)>,
}

impl Point {
    /// The assignments as `--set` arguments, `PATH=VALUE`.
    pub fn sets(&self) -> Vec<String> {
        self.assignments
            .iter()
            .flat_map(|(path, v)| path.split('+').map(move |p| format!("{p}={v}")))
            .collect()
    }

    /// `path=value, path=value`, for messages.
    pub fn describe(&self) -> String {
        self.sets().join(", ")
    }
}

/// Number of points of the grid, or an error if it exceeds [`MAX_POINTS`].
pub fn count(vary: &[Vary]) -> Result<usize, GridError> {
    vary.iter()
        .try_fold(1usize, |n, v| n.checked_mul(v.values.len()))
        .filter(|&n| n <= MAX_POINTS)
        .ok_or_else(|| GridError::TooManyPoints {
            sizes: vary.iter().map(|v| v.values.len()).collect(),
            limit: MAX_POINTS,
        })
}

/// Point `index` of the grid (the caller checks it is below [`count`]): mixed radix, the last
/// field fastest. Points are made one at a time, so a large grid costs nothing until it runs.
pub fn point(vary: &[Vary], index: usize) -> Point {
    let mut rest = index;
    let mut assignments = vec![(String::new(), String::new()); vary.len()];
    for (slot, v) in assignments.iter_mut().zip(vary).rev() {
        let k = rest % v.values.len();
        rest /= v.values.len();
        *slot = (v.path.clone(), v.values[k].clone());
    }
    Point { index, assignments }
}

/// The index of the point that takes value number `positions[i]` of field `i` (the inverse
/// of [`point`]).
pub fn index_of(vary: &[Vary], positions: &[usize]) -> usize {
    vary.iter()
        .zip(positions)
        .fold(0, |index, (v, &k)| index * v.values.len() + k)
}

/// Every point of the grid, in index order, made as the caller asks for them (the caller
/// checks [`count`] first).
pub fn points(vary: &[Vary]) -> impl Iterator<Item = Point> + '_ {
    let n: usize = vary.iter().map(|v| v.values.len()).product();
    (0..n).map(move |index| point(vary, index))
}

/// Shard `index` of `count` (1-based): the points whose index modulo `count` is `index − 1`.
/// Interleaving spreads the cheap and the expensive corners of a grid over every shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based: `1..=count`.
    pub index: usize,
    /// How many shards the sweep is cut into.
    pub count: usize,
}

impl Shard {
    /// Parses `K/N` with `1 ≤ K ≤ N`.
    pub fn parse(arg: &str) -> Result<Shard, ShardError> {
        let (k, n) = arg
            .split_once('/')
            .ok_or_else(|| ShardError::NoSlash { arg: arg.into() })?;
        let parse = |s: &str, what: &'static str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| ShardError::NotANumber {
                    arg: arg.into(),
                    what,
                    text: s.trim().into(),
                })
        };
        let (index, count) = (parse(k, "shard")?, parse(n, "shard count")?);
        if count == 0 {
            return Err(ShardError::NoShards { arg: arg.into() });
        }
        if index == 0 || index > count {
            return Err(ShardError::NoSuchShard {
                arg: arg.into(),
                index,
                count,
            });
        }
        Ok(Shard { index, count })
    }

    /// Whether the point with this index belongs to the shard.
    pub fn owns(&self, point: usize) -> bool {
        point % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(path: &str, values: &[&str]) -> Vary {
        Vary {
            path: path.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_last_field_varies_fastest() {
        let grid = [vary("a", &["1", "2"]), vary("b", &["x", "y", "z"])];
        let ps: Vec<Point> = points(&grid).collect();
        assert_eq!(ps.len(), 6);
        assert_eq!(ps[0].describe(), "a=1, b=x");
        assert_eq!(ps[1].describe(), "a=1, b=y");
        assert_eq!(ps[3].describe(), "a=2, b=x");
        assert_eq!(ps[5].describe(), "a=2, b=z");
        for p in &ps {
            let positions: Vec<usize> = p
                .assignments
                .iter()
                .zip(&grid)
                .map(|((_, value), v)| v.values.iter().position(|x| x == value).unwrap())
                .collect();
            assert_eq!(index_of(&grid, &positions), p.index);
        }
    }

    #[test]
    fn shards_partition_the_points() {
        let shards: Vec<Shard> = (1..=3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for p in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.owns(p)).count(), 1);
        }
    }

    #[test]
    fn shard_zero_and_shards_past_the_count_are_refused() {
        for bad in ["0/2", "3/2", "1/0", "x/2", "2", "1/-1"] {
            let e = Shard::parse(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
        assert_eq!(
            Shard::parse("3/2"),
            Err(ShardError::NoSuchShard {
                arg: "3/2".into(),
                index: 3,
                count: 2
            })
        );
        assert!(Shard::parse("0/2")
            .unwrap_err()
            .to_string()
            .contains("numbered 1 to 2"));
    }

    #[test]
    fn huge_grids_are_refused() {
        let big = vary("a", &["1"; 1000]);
        assert!(count(&[big.clone(), big.clone(), big]).is_err());
    }
}
