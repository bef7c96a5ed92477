"""Where the data key ring comes from: BIGCARE_DATA_KEY, or the key file (created only by the
demo). Outside the demo BigCare refuses to start without a key rather than make one up."""

from pathlib import Path

from bigcare.config import Settings
from bigcare.privacy.crypto import DataKeyError, Keyring, load_or_create_key_file, read_key_file

NO_KEY_MESSAGE = (
    "데이터 암호키가 없습니다. BIGCARE_DATA_KEY에 키링을 넣거나 BIGCARE_DATA_KEY_FILE이 "
    "가리키는 키 파일을 두세요 (새 키: `bigcare keys new`). 데모만 키를 스스로 만듭니다."
)


def key_source(settings: Settings) -> str:
    """ "env" when the key ring comes from BIGCARE_DATA_KEY, else "file"."""
    return "env" if settings.data_key is not None else "file"


def load_keyring(settings: Settings) -> tuple[Keyring, bool]:
    """The data key ring and whether it was just created (only the demo creates one)."""
    if settings.data_key is not None:
        return Keyring.parse(settings.data_key.get_secret_value()), False
    path = Path(settings.data_key_file)
    if settings.demo:
        return load_or_create_key_file(path)
    try:
        return read_key_file(path), False
    except FileNotFoundError:
        raise DataKeyError(NO_KEY_MESSAGE) from None
