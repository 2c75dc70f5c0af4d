// images.js - the checks the portal makes before sending a picture
// (SPEC §5.4): JPEG, PNG or WEBP by their first bytes (not by name or
// declared type), at most 10 MiB each, at most 5 per submission.  The
// service checks again; these only spare the customer a useless upload.

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MAX_PICTURES = 5;

function readHead(blob, n) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob.slice(0, n));
  });
}

function startsWith(bytes, sig, at = 0) {
  if (bytes.length < at + sig.length) return false;
  return sig.every((b, i) => bytes[at + i] === b);
}

const ascii = (s) => Array.from(s, (c) => c.charCodeAt(0));

// The media type the content says, or null when it is none of the three.
export function sniff(bytes) {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return null;
}

function human(bytes) {
  if (bytes >= 1024 * 1024) return (bytes / (1024 * 1024)).toFixed(1) + ' MB';
  if (bytes >= 1024) return Math.ceil(bytes / 1024) + ' KB';
  return bytes + ' bytes';
}

// Checks one file: resolves with {ok: true, mediaType} or {ok: false,
// message} saying what is wrong in words the customer understands.
export async function checkImage(file) {
  const name = file.name || 'the file';
  if (file.size === 0) return { ok: false, message: `${name} is empty` };
  if (file.size > MAX_IMAGE_BYTES) {
    return {
      ok: false,
      message: `${name} is ${human(file.size)}: a picture may be at most 10 MB`,
    };
  }
  let head;
  try {
    head = await readHead(file, 16);
  } catch (err) {
    return { ok: false, message: `${name} cannot be read` };
  }
  const mediaType = sniff(head);
  if (!mediaType) {
    return {
      ok: false,
      message: `${name} is not a JPEG, PNG or WEBP picture`,
    };
  }
  return { ok: true, mediaType };
}
