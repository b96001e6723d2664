//! Which public write key belongs to which project.

use std::collections::HashMap;

/// The projects this collector accepts events for, by public write key.
#[derive(Clone, Debug, Default)]
pub struct Projects {
    by_key: HashMap<String, String>,
}

/// Why a `PROJECT=KEY` setting was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProjectSpecError {
    /// Not of the form `PROJECT=KEY`.
    #[error("project setting {0:?} is not of the form PROJECT=KEY")]
    Malformed(String),
    /// A public key must start with `pk_`; a secret key must never be put in a page.
    #[error("the key for project {project:?} must start with \"pk_\" (it is the public write key that pages carry)")]
    NotPublicKey {
        /// The project named.
        project: String,
    },
    /// Two projects named the same key.
    #[error("the key for project {project:?} is already used by project {other:?}")]
    DuplicateKey {
        /// The project named second.
        project: String,
        /// The project that has the key already.
        other: String,
    },
}

impl Projects {
    /// Parses `PROJECT=KEY` settings.
    pub fn parse<S: AsRef<str>>(specs: &[S]) -> Result<Projects, ProjectSpecError> {
        let mut by_key = HashMap::new();
        for spec in specs {
            let spec = spec.as_ref().trim();
            let Some((project, key)) = spec.split_once('=') else {
                return Err(ProjectSpecError::Malformed(spec.to_owned()));
            };
            let (project, key) = (project.trim(), key.trim());
            if project.is_empty() || key.is_empty() {
                return Err(ProjectSpecError::Malformed(spec.to_owned()));
            }
            if !key.starts_with("pk_") {
                return Err(ProjectSpecError::NotPublicKey {
                    project: project.to_owned(),
                });
            }
            if let Some(other) = by_key.insert(key.to_owned(), project.to_owned()) {
                return Err(ProjectSpecError::DuplicateKey {
                    project: project.to_owned(),
                    other,
                });
            }
        }
        Ok(Projects { by_key })
    }

    /// The project a public write key belongs to.
    #[must_use]
    pub fn project_for_key(&self, key: &str) -> Option<&str> {
        self.by_key.get(key).map(String::as_str)
    }

    /// Each project with its key.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_key
            .iter()
            .map(|(key, project)| (project.as_str(), key.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_projects() {
        let projects = Projects::parse(&["demo=pk_demo", " shop = pk_shop "]).unwrap();
        assert_eq!(projects.project_for_key("pk_shop"), Some("shop"));
        assert_eq!(projects.project_for_key("pk_other"), None);
        let mut entries: Vec<_> = projects.entries().collect();
        entries.sort_unstable();
        assert_eq!(entries, [("demo", "pk_demo"), ("shop", "pk_shop")]);
    }

    #[test]
    fn bad_settings_are_refused_with_the_reason() {
        assert_eq!(
            Projects::parse(&["demo"]).unwrap_err(),
            ProjectSpecError::Malformed("demo".into())
        );
        assert!(matches!(
            Projects::parse(&["demo=sk_x"]),
            Err(ProjectSpecError::NotPublicKey { .. })
        ));
        assert!(matches!(
            Projects::parse(&["a=pk_x", "b=pk_x"]),
            Err(ProjectSpecError::DuplicateKey { .. })
        ));
    }
}
