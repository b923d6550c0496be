use super::*;

fn fresh() -> Vault {
    Vault::unlock(
        KeySource::Store(Box::new(MemoryKeyStore::default())),
        None,
        None,
    )
    .unwrap()
    .vault
}

#[test]
fn sealed_values_open_only_for_their_account_and_field() {
    let v = fresh();
    let s = Secret::new("rt-very-secret");
    let sealed = v.seal(7, "refresh_token", &s);
    assert!(!sealed.windows(6).any(|w| w == b"rt-ver"));
    assert_eq!(v.open(7, "refresh_token", &sealed).unwrap(), s);
    assert_eq!(
        v.open(8, "refresh_token", &sealed).unwrap_err().code(),
        "vault_key_lost"
    );
    assert!(v.open(7, "client_secret", &sealed).is_err());
    assert_ne!(
        sealed,
        v.seal(7, "refresh_token", &s),
        "a fresh nonce each time"
    );
    let mut tampered = sealed.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(v.open(7, "refresh_token", &tampered).is_err());
}

#[test]
fn a_key_store_key_is_created_once_then_reused_and_checked() {
    let keys = MemoryKeyStore::default();
    let first = Vault::unlock(KeySource::Store(Box::new(keys.clone())), None, None).unwrap();
    let check = first.new_check.unwrap();
    let sealed = first.vault.seal(1, "f", &Secret::new("x"));
    let again =
        Vault::unlock(KeySource::Store(Box::new(keys.clone())), Some(&check), None).unwrap();
    assert!(again.new_check.is_none());
    assert_eq!(again.vault.open(1, "f", &sealed).unwrap().expose(), "x");
    // The keyring was reset: sealed data and no key.
    let err = Vault::unlock(
        KeySource::Store(Box::new(MemoryKeyStore::default())),
        Some(&check),
        None,
    )
    .unwrap_err();
    assert_eq!(err.code(), "vault_key_lost");
    // Another key (data copied from elsewhere).
    let other = MemoryKeyStore::default();
    other.save(&[9u8; 32]).unwrap();
    let err = Vault::unlock(KeySource::Store(Box::new(other)), Some(&check), None).unwrap_err();
    assert_eq!(err.code(), "vault_key_lost");
}

#[test]
fn passphrase_mode_derives_the_key_and_refuses_a_wrong_one() {
    let first = Vault::unlock(
        KeySource::Passphrase(Secret::new("correct horse")),
        None,
        None,
    )
    .unwrap();
    let (check, kdf) = (first.new_check.unwrap(), first.new_kdf.unwrap());
    let sealed = first.vault.seal(1, "f", &Secret::new("x"));
    let again = Vault::unlock(
        KeySource::Passphrase(Secret::new("correct horse")),
        Some(&check),
        Some(kdf.clone()),
    )
    .unwrap();
    assert_eq!(again.vault.open(1, "f", &sealed).unwrap().expose(), "x");
    let err = Vault::unlock(
        KeySource::Passphrase(Secret::new("wrong")),
        Some(&check),
        Some(kdf.clone()),
    )
    .unwrap_err();
    assert_eq!(err.code(), "wrong_passphrase");
    let err = Vault::unlock(
        KeySource::Store(Box::new(MemoryKeyStore::default())),
        Some(&check),
        Some(kdf),
    )
    .unwrap_err();
    assert!(err.to_string().contains("passphrase"), "{err}");
}
