//! User-defined policies: a name in a scenario (`Custom(name: "…", params: {…})`) maps to a
//! factory registered here, so a policy written outside Faultline's crates runs from a RON file.

use super::{CallerPolicy, ServerPolicy};
use std::collections::BTreeMap;

/// Builds a user's policy from its parameters, or says what is wrong with them.
pub type PolicyFactory =
    Box<dyn Fn(&BTreeMap<String, f64>) -> Result<Box<dyn CallerPolicy>, String> + Send + Sync>;

/// Builds a user's server policy from its parameters, or says what is wrong with them.
pub type ServerPolicyFactory =
    Box<dyn Fn(&BTreeMap<String, f64>) -> Result<Box<dyn ServerPolicy>, String> + Send + Sync>;

/// The user-defined policies a run may use, by name: caller-side ones (`register`) and
/// server-side ones (`register_server`), each in its own namespace.
///
/// ```
/// use sim_models::policy::{CallerPolicy, PolicyRegistry};
/// #[derive(Clone, Debug)]
/// struct Nothing;
/// impl CallerPolicy for Nothing {
///     fn name(&self) -> &str { "nothing" }
/// }
/// let mut registry = PolicyRegistry::new();
/// registry.register("nothing", |_| Ok(Box::new(Nothing)));
/// assert!(registry.build("nothing", &Default::default()).is_ok());
/// assert!(registry.build("other", &Default::default()).is_err());
/// ```
#[derive(Default)]
pub struct PolicyRegistry {
    factories: BTreeMap<String, PolicyFactory>,
    server_factories: BTreeMap<String, ServerPolicyFactory>,
}

impl std::fmt::Debug for PolicyRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.factories.keys())
            .entries(self.server_factories.keys())
            .finish()
    }
}

impl PolicyRegistry {
    /// A registry with no user policies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `factory` under `name`.
    pub fn register<F>(&mut self, name: &str, factory: F) -> &mut Self
    where
        F: Fn(&BTreeMap<String, f64>) -> Result<Box<dyn CallerPolicy>, String>
            + Send
            + Sync
            + 'static,
    {
        self.factories.insert(name.to_string(), Box::new(factory));
        self
    }

    /// Builds policy `name` with `params`.
    pub fn build(
        &self,
        name: &str,
        params: &BTreeMap<String, f64>,
    ) -> Result<Box<dyn CallerPolicy>, String> {
        match self.factories.get(name) {
            Some(f) => f(params).map_err(|e| format!("policy `{name}`: {e}")),
            None => Err(format!(
                "unknown policy `{name}`: registered policies are [{}]",
                self.factories
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Registers the server policy `factory` under `name`.
    pub fn register_server<F>(&mut self, name: &str, factory: F) -> &mut Self
    where
        F: Fn(&BTreeMap<String, f64>) -> Result<Box<dyn ServerPolicy>, String>
            + Send
            + Sync
            + 'static,
    {
        self.server_factories
            .insert(name.to_string(), Box::new(factory));
        self
    }

    /// Builds server policy `name` with `params`.
    pub fn build_server(
        &self,
        name: &str,
        params: &BTreeMap<String, f64>,
    ) -> Result<Box<dyn ServerPolicy>, String> {
        match self.server_factories.get(name) {
            Some(f) => f(params).map_err(|e| format!("server policy `{name}`: {e}")),
            None => Err(format!(
                "unknown server policy `{name}`: registered server policies are [{}]",
                self.server_factories
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}
