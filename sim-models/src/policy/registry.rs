//! User-defined policies: a name in a scenario (`Custom(name: "…", params: {…})`) maps to a
//! factory registered here, so a policy written outside Faultline's crates runs from a RON file.
//! Caller-side and server-side plug-ins are two instances of one generic [`Registry`].

use super::{CallerPolicy, ServerPolicy};
use std::collections::BTreeMap;

/// Parameters of a user's policy, as written in the scenario.
pub type Params = BTreeMap<String, f64>;

/// Builds a user's plug-in of type `T` from its parameters, or says what is wrong with them.
pub type Factory<T> = Box<dyn Fn(&Params) -> Result<Box<T>, String> + Send + Sync>;

/// Builds a user's policy from its parameters, or says what is wrong with them.
pub type PolicyFactory = Factory<dyn CallerPolicy>;

/// Builds a user's server policy from its parameters, or says what is wrong with them.
pub type ServerPolicyFactory = Factory<dyn ServerPolicy>;

/// Why a registered plug-in could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// No plug-in of this kind is registered under the name.
    #[error("unknown {kind} `{name}`: registered {plural} are [{}]", registered.join(", "))]
    Unknown {
        /// The kind of plug-in: `policy` or `server policy`.
        kind: &'static str,
        /// Its plural, for the message.
        plural: &'static str,
        /// The name asked for.
        name: String,
        /// The names registered, in order.
        registered: Vec<String>,
    },
    /// The plug-in's factory refused its parameters.
    #[error("{kind} `{name}`: {reason}")]
    Invalid {
        /// The kind of plug-in.
        kind: &'static str,
        /// Its name.
        name: String,
        /// What the factory said.
        reason: String,
    },
}

/// Factories of one kind of plug-in (`T` is `dyn CallerPolicy` or `dyn ServerPolicy`), by name.
pub struct Registry<T: ?Sized> {
    kind: &'static str,
    plural: &'static str,
    factories: BTreeMap<String, Factory<T>>,
}

impl<T: ?Sized> Registry<T> {
    /// An empty registry of plug-ins called `kind` (`plural` in lists) in messages.
    pub fn new(kind: &'static str, plural: &'static str) -> Self {
        Registry {
            kind,
            plural,
            factories: BTreeMap::new(),
        }
    }

    /// Registers `factory` under `name`, replacing any earlier one.
    pub fn register<F>(&mut self, name: &str, factory: F)
    where
        F: Fn(&Params) -> Result<Box<T>, String> + Send + Sync + 'static,
    {
        self.factories.insert(name.to_string(), Box::new(factory));
    }

    /// Builds plug-in `name` with `params`.
    pub fn build(&self, name: &str, params: &Params) -> Result<Box<T>, RegistryError> {
        let Some(factory) = self.factories.get(name) else {
            return Err(RegistryError::Unknown {
                kind: self.kind,
                plural: self.plural,
                name: name.to_string(),
                registered: self.names().map(str::to_string).collect(),
            });
        };
        factory(params).map_err(|reason| RegistryError::Invalid {
            kind: self.kind,
            name: name.to_string(),
            reason,
        })
    }

    /// The registered names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }
}

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
/// let err = registry.build("other", &Default::default()).unwrap_err();
/// assert_eq!(err.to_string(), "unknown policy `other`: registered policies are [nothing]");
/// ```
pub struct PolicyRegistry {
    /// Caller-side policies.
    pub caller: Registry<dyn CallerPolicy>,
    /// Server-side policies.
    pub server: Registry<dyn ServerPolicy>,
}

impl Default for PolicyRegistry {
    fn default() -> Self {
        PolicyRegistry {
            caller: Registry::new("policy", "policies"),
            server: Registry::new("server policy", "server policies"),
        }
    }
}

impl std::fmt::Debug for PolicyRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.caller.names())
            .entries(self.server.names())
            .finish()
    }
}

impl PolicyRegistry {
    /// A registry with no user policies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the caller policy `factory` under `name`.
    pub fn register<F>(&mut self, name: &str, factory: F) -> &mut Self
    where
        F: Fn(&Params) -> Result<Box<dyn CallerPolicy>, String> + Send + Sync + 'static,
    {
        self.caller.register(name, factory);
        self
    }

    /// Builds caller policy `name` with `params`.
    pub fn build(
        &self,
        name: &str,
        params: &Params,
    ) -> Result<Box<dyn CallerPolicy>, RegistryError> {
        self.caller.build(name, params)
    }

    /// Registers the server policy `factory` under `name`.
    pub fn register_server<F>(&mut self, name: &str, factory: F) -> &mut Self
    where
        F: Fn(&Params) -> Result<Box<dyn ServerPolicy>, String> + Send + Sync + 'static,
    {
        self.server.register(name, factory);
        self
    }

    /// Builds server policy `name` with `params`.
    pub fn build_server(
        &self,
        name: &str,
        params: &Params,
    ) -> Result<Box<dyn ServerPolicy>, RegistryError> {
        self.server.build(name, params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug)]
    struct Fixed;
    impl CallerPolicy for Fixed {
        fn name(&self) -> &str {
            "fixed"
        }
    }

    #[test]
    fn an_unknown_name_lists_what_is_registered_of_its_kind_only() {
        let mut r = PolicyRegistry::new();
        r.register("b", |_| Ok(Box::new(Fixed)));
        r.register("a", |_| Ok(Box::new(Fixed)));
        let e = r.build("c", &Params::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown policy `c`: registered policies are [a, b]"
        );
        let e = r.build_server("a", &Params::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown server policy `a`: registered server policies are []"
        );
        assert!(matches!(e, RegistryError::Unknown { registered, .. } if registered.is_empty()));
    }

    #[test]
    fn a_factory_refusing_its_parameters_is_named_in_the_error() {
        let mut r = PolicyRegistry::new();
        r.register("picky", |p| {
            if p.contains_key("rate") {
                Ok(Box::new(Fixed))
            } else {
                Err("needs a rate".to_string())
            }
        });
        assert!(r
            .build("picky", &Params::from([("rate".into(), 1.0)]))
            .is_ok());
        let e = r.build("picky", &Params::new()).unwrap_err();
        assert_eq!(e.to_string(), "policy `picky`: needs a rate");
        assert_eq!(
            e,
            RegistryError::Invalid {
                kind: "policy",
                name: "picky".into(),
                reason: "needs a rate".into()
            }
        );
    }
}
