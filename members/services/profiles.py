"""Profiles, and the photo each may have."""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from ..models import PHOTO_MAX_BYTES, Profile

PHOTO_SIZE = 400


@transaction.atomic
def profile_update(*, user, **fields) -> Profile:
    profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
    photo = fields.pop("photo", None)
    for name, value in fields.items():
        setattr(profile, name, value)
    if photo == "":
        profile.photo.delete(save=False)
    elif photo:
        profile.photo.save(_resized_photo_name(user), _resized_photo(photo), save=False)
    profile.full_clean()
    profile.save()
    return profile


def _resized_photo_name(user) -> str:
    return f"{user.pk}-{timezone.now():%Y%m%d%H%M%S}.jpg"


def _resized_photo(upload) -> ContentFile:
    """A square JPEG of at most PHOTO_SIZE pixels; rejects what is not a small image."""
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": "The photo is larger than 3 MB."})
    try:
        upload.seek(0)
        image = Image.open(upload)
        if image.format not in ("JPEG", "PNG", "WEBP"):
            raise ValidationError({"photo": "Upload a JPEG, PNG or WebP image."})
        if image.width * image.height > 40_000_000:
            raise ValidationError({"photo": "The photo has too many pixels."})
        image = ImageOps.exif_transpose(image)
        image = ImageOps.fit(image.convert("RGB"), (PHOTO_SIZE, PHOTO_SIZE))
    except (UnidentifiedImageError, OSError) as error:
        raise ValidationError({"photo": "That file is not an image we can read."}) from error
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return ContentFile(out.getvalue())
