/* fuzz_image.c - libFuzzer target: image sniffing (include/rma/image.h),
 * which decides from the bytes alone whether an upload is a JPEG, PNG or
 * WEBP picture.
 *
 * Input: the file.
 *
 * Invariants: an accepted file starts with its format's magic bytes, has
 * sane dimensions and a media type; a refused one reports IMAGE_NONE and
 * zero dimensions; a PNG's IHDR (length, type, CRC, size) checks out
 * independently; trailing bytes after an accepted file change nothing (the
 * decision rests on the header); image_crc32 agrees with a table-driven
 * CRC-32. */
#include "fuzz.h"
#include "rma/image.h"

static uint32_t crc_table[256];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    return 0;
}

static uint32_t
reference_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_ASSERT(image_crc32(data, size) == reference_crc32(data, size));

    struct image_info info;
    memset(&info, 0xA5, sizeof(info));
    bool ok = image_sniff(data, size, &info);
    if (!ok) {
        FUZZ_ASSERT(info.type == IMAGE_NONE && info.width == 0 &&
                    info.height == 0);
        FUZZ_ASSERT(image_media_type(info.type) == NULL);
        return 0;
    }
    FUZZ_ASSERT(info.width >= 1 && info.width <= IMAGE_MAX_SIDE);
    FUZZ_ASSERT(info.height >= 1 && info.height <= IMAGE_MAX_SIDE);
    FUZZ_ASSERT((uint64_t)info.width * info.height <= IMAGE_MAX_PIXELS);
    const char *mt = image_media_type(info.type);
    switch (info.type) {
    case IMAGE_JPEG:
        FUZZ_ASSERT(size >= 4 && data[0] == 0xFF && data[1] == 0xD8 &&
                    data[2] == 0xFF);
        FUZZ_ASSERT(mt != NULL && strcmp(mt, "image/jpeg") == 0);
        break;
    case IMAGE_PNG:
        FUZZ_ASSERT(size >= 33 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0);
        FUZZ_ASSERT(be32(data + 8) == 13 && memcmp(data + 12, "IHDR", 4) == 0);
        FUZZ_ASSERT(reference_crc32(data + 12, 17) == be32(data + 29));
        FUZZ_ASSERT(info.width == be32(data + 16) &&
                    info.height == be32(data + 20));
        FUZZ_ASSERT(mt != NULL && strcmp(mt, "image/png") == 0);
        break;
    case IMAGE_WEBP: {
        FUZZ_ASSERT(size >= 20 && memcmp(data, "RIFF", 4) == 0 &&
                    memcmp(data + 8, "WEBP", 4) == 0);
        uint64_t riff = (uint64_t)data[4] | (uint64_t)data[5] << 8 |
                        (uint64_t)data[6] << 16 | (uint64_t)data[7] << 24;
        FUZZ_ASSERT(riff + 8 <= size);
        FUZZ_ASSERT(mt != NULL && strcmp(mt, "image/webp") == 0);
        break;
    }
    case IMAGE_NONE: FUZZ_ASSERT(!"accepted as IMAGE_NONE"); break;
    }

    /* Trailing bytes after the file (or after the part sniffed) change
     * nothing. */
    uint8_t *longer = malloc(size + 64);
    FUZZ_ASSERT(longer != NULL);
    memcpy(longer, data, size);
    for (size_t i = 0; i < 64; i++)
        longer[size + i] = (uint8_t)(data[i % size] ^ 0x5A);
    struct image_info again;
    FUZZ_ASSERT(image_sniff(longer, size + 64, &again));
    FUZZ_ASSERT(again.type == info.type && again.width == info.width &&
                again.height == info.height);
    free(longer);
    return 0;
}
