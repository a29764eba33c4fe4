//! A strict reader of CloudFormation's YAML: a value with its path (for
//! errors that say where), the long-form intrinsics the local stack can
//! resolve (`Ref`, `Fn::GetAtt`, `Fn::Sub` with the pseudo parameters), and
//! a refusal of anything else, short-form tags included.

use std::fmt::Display;

use serde_yaml_ng::Value;

use super::StackError;

/// moto's default account, what `${AWS::AccountId}` resolves to locally.
pub const ACCOUNT_ID: &str = "123456789012";
/// The region of the local clients, what `${AWS::Region}` resolves to.
pub const REGION: &str = "us-east-1";

/// Short-form intrinsics (`!Ref`) parse as YAML tags, which no plain reader
/// of the template understands.
pub(super) fn reject_tags(value: &Value, path: &str) -> Result<(), StackError> {
    match value {
        Value::Tagged(tagged) => Err(StackError::Template(format!(
            "{path}: short-form intrinsic {} found; use the long form (Ref:, Fn::GetAtt:, Fn::Sub:)",
            tagged.tag
        ))),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| reject_tags(item, &format!("{path}[{i}]"))),
        Value::Mapping(map) => map.iter().try_for_each(|(key, item)| {
            let key = key.as_str().unwrap_or("?");
            reject_tags(item, &format!("{path}.{key}"))
        }),
        _ => Ok(()),
    }
}

/// The pseudo parameters `Fn::Sub` may name locally.
pub(super) struct Pseudo<'s> {
    pub(super) stack_name: &'s str,
}

impl Pseudo<'_> {
    pub(super) fn resolve(&self, name: &str) -> Option<&str> {
        Some(match name {
            "AWS::StackName" => self.stack_name,
            "AWS::AccountId" => ACCOUNT_ID,
            "AWS::Region" => REGION,
            "AWS::Partition" => "aws",
            "AWS::URLSuffix" => "amazonaws.com",
            _ => return None,
        })
    }
}

static NULL: Value = Value::Null;

/// A value of the template with its path, for errors that say where.
pub(super) struct Node<'a> {
    pub(super) value: &'a Value,
    pub(super) path: String,
}

impl<'a> Node<'a> {
    pub(super) fn err(&self, what: impl Display) -> StackError {
        StackError::Template(format!("{}: {what}", self.path.trim_start_matches('.')))
    }

    /// An absent value at this node's path.
    pub(super) fn null(&self) -> Node<'a> {
        Node {
            value: &NULL,
            path: self.path.clone(),
        }
    }

    pub(super) fn opt(&self, key: &str) -> Option<Node<'a>> {
        let value = self.value.as_mapping()?.get(key)?;
        (!value.is_null()).then(|| Node {
            value,
            path: format!("{}.{key}", self.path),
        })
    }

    pub(super) fn req(&self, key: &str) -> Result<Node<'a>, StackError> {
        self.opt(key)
            .ok_or_else(|| self.err(format_args!("{key} is missing")))
    }

    /// The entries of a mapping (none for an absent value).
    pub(super) fn entries(&self) -> Result<Vec<(&'a str, Node<'a>)>, StackError> {
        let map = match self.value {
            Value::Null => return Ok(Vec::new()),
            Value::Mapping(map) => map,
            _ => return Err(self.err("expected a mapping")),
        };
        map.iter()
            .map(|(key, value)| {
                let key = key
                    .as_str()
                    .ok_or_else(|| self.err("expected string keys"))?;
                Ok((
                    key,
                    Node {
                        value,
                        path: format!("{}.{key}", self.path),
                    },
                ))
            })
            .collect()
    }

    /// Refuses keys the local stack does not reproduce.
    pub(super) fn only(&self, supported: &[&str]) -> Result<(), StackError> {
        for (key, node) in self.entries()? {
            if !supported.contains(&key) {
                return Err(node.err("not supported by the local stack"));
            }
        }
        Ok(())
    }

    pub(super) fn list(&self) -> Result<Vec<Node<'a>>, StackError> {
        let items = self
            .value
            .as_sequence()
            .ok_or_else(|| self.err("expected a list"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                path: format!("{}[{i}]", self.path),
            })
            .collect())
    }

    pub(super) fn str(&self) -> Result<&'a str, StackError> {
        self.value
            .as_str()
            .ok_or_else(|| self.err("expected a plain string"))
    }

    /// A number, written as one or as a string (both are valid CloudFormation).
    pub(super) fn int(&self) -> Result<i64, StackError> {
        match self.value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| self.err("expected an integer"))
    }

    pub(super) fn int32(&self) -> Result<i32, StackError> {
        i32::try_from(self.int()?).map_err(|_| self.err("out of range"))
    }

    pub(super) fn bool(&self) -> Result<bool, StackError> {
        match self.value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
        .ok_or_else(|| self.err("expected true or false"))
    }

    /// A literal string, number or boolean, as text.
    pub(super) fn scalar(&self) -> Result<String, StackError> {
        match self.value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.err("expected a literal value")),
        }
    }

    /// A plain string or a `Fn::Sub` of pseudo parameters.
    pub(super) fn text(&self, pseudo: &Pseudo<'_>) -> Result<String, StackError> {
        if let Some(s) = self.value.as_str() {
            return Ok(s.to_string());
        }
        let sub = self
            .only_key("Fn::Sub")
            .ok_or_else(|| self.err("expected a string or Fn::Sub"))?;
        let mut rest = sub.str()?;
        let mut out = String::new();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| sub.err("unclosed ${ in Fn::Sub"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                // `${!Name}` is CloudFormation's escape for a literal `${Name}`.
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = pseudo
                    .resolve(name)
                    .ok_or_else(|| sub.err(format_args!("cannot resolve ${{{name}}} locally")))?;
                out.push_str(value);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `Fn::GetAtt: [Id, Attribute]` or `Fn::GetAtt: Id.Attribute`.
    pub(super) fn get_att(&self) -> Result<(&'a str, &'a str), StackError> {
        let att = self
            .only_key("Fn::GetAtt")
            .ok_or_else(|| self.err("expected Fn::GetAtt"))?;
        if let Some(dotted) = att.value.as_str() {
            return dotted
                .split_once('.')
                .ok_or_else(|| att.err("expected Id.Attribute"));
        }
        match att.list()?.as_slice() {
            [id, attribute] => Ok((id.str()?, attribute.str()?)),
            _ => Err(att.err("expected [Id, Attribute]")),
        }
    }

    /// The value under `key` when it is this mapping's only key.
    pub(super) fn only_key(&self, key: &str) -> Option<Node<'a>> {
        let map = self.value.as_mapping()?;
        if map.len() != 1 {
            return None;
        }
        self.opt(key)
    }
}
